step "luarocks make into a fresh tree"
tree=$(mktemp -d)
if ! luarocks --lua-version 5.4 make --tree "$tree" --deps-mode none lua-coc-scm-1.rockspec \
  CURL_INCDIR=/usr/include/x86_64-linux-gnu >"$tree/build.log" 2>&1; then
  cat "$tree/build.log"
  failed=$((failed + 1))
  finish
fi
if (cd "$tree" && TREE="$tree" LUA_PATH="$tree/share/lua/5.4/?.lua;;" LUA_CPATH="$tree/lib/lua/5.4/?.so;;" lua5.4 -e '
    local coc = require "coc"
    assert(package.searchpath("coc.core", package.cpath):find(os.getenv("TREE"), 1, true))
    assert(package.searchpath("coc.client", package.path):find(os.getenv("TREE"), 1, true))
    assert(coc.validate("C1", { history_info = { action = "change_complete_success" } }))
    print("installed module " .. coc._VERSION .. " loads from the tree")') &&
  LUA_PATH="$tree/share/lua/5.4/?.lua;;" LUA_CPATH="$tree/lib/lua/5.4/?.so;;" "$tree/bin/coc-change" --help |
    grep "coc-change" >/dev/null; then
  echo "the installed coc-change runs"
  passed=$((passed + 1))
else
  echo "lua-coc: the rock does not load" >&2
  failed=$((failed + 1))
fi
rm -rf "$tree"
