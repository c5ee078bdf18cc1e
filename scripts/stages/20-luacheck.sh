step "luacheck"
luacheck -q .
passed=$((passed + 1))
