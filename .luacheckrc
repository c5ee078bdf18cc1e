std = "max"
max_line_length = 130
exclude_files = { "build/", "emulator/run/", ".luarocks/" }
include_files = { "**/*.lua", "bin/coc-change" } -- the CLI launcher has no .lua suffix
files["spec/"] = { std = "+busted" }
files["emulator/lua/"] = { std = "ngx_lua" }
files["lua/coc/transport/ngx.lua"] = { std = "ngx_lua" }
files["spec/support/nginx_handlers.lua"] = { std = "ngx_lua" } -- runs inside the specs' nginx
