std = "max"
max_line_length = 130
exclude_files = { "build/", "emulator/run/", ".luarocks/" }
files["spec/"] = { std = "+busted" }
files["emulator/lua/"] = { std = "ngx_lua" }
files["lua/coc/transport/ngx.lua"] = { std = "ngx_lua" }
