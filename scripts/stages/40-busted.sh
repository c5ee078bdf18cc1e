for v in 5.4 5.3 5.1 luajit; do
  interp=lua$v
  [ "$v" = luajit ] && interp=luajit
  step "Busted under $interp"
  make -s LUA_VERSION="$v"
  if [ "$v" = luajit ]; then
    run_busted "$v" "$interp" --exclude-pattern=10%-openresty # stage 60 runs it, with nginx
  else
    run_busted "$v" "$interp"
  fi
done
