step "build (Lua 5.4) and the C core's test, linked without Lua"
make -s
make -s test-core
passed=$((passed + 1))
