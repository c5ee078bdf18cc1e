# Sourced by scripts/test after the emulator stage (30) exported COC_EMULATOR_*.
# The module inside a real nginx: the LuaJIT build, loaded by Debian's
# nginx-core + libnginx-mod-http-lua from examples/openresty/nginx.conf, with
# the nginx transport (cosockets) against the emulator.
step "OpenResty: the module inside nginx (LuaJIT build, cosocket transport)"
make -s LUA_VERSION=luajit
run_busted luajit luajit spec/10-openresty_spec.lua
