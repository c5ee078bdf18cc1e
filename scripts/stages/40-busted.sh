for v in 5.4 5.3 5.1 luajit; do
  interp=lua$v
  [ "$v" = luajit ] && interp=luajit
  step "Busted under $interp"
  make -s LUA_VERSION="$v"
  run_busted "$v" "$interp"
done
