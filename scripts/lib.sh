# Shared by scripts/test and its stages (sourced, not run).

passed=${passed:-0}
failed=${failed:-0}

step() { printf '\n== %s\n' "$*"; }

# Adds busted's summary line ("N successes / M failures / E errors") of a
# log file to the totals.
tally_busted() {
  local line s f e
  line=$(grep -E '^[0-9]+ successes? / [0-9]+ failures? / [0-9]+ errors?' "$1" | tail -n 1 || true)
  [ -n "$line" ] || { failed=$((failed + 1)); return; }
  s=$(sed -E 's#^([0-9]+) .*#\1#' <<<"$line")
  f=$(sed -E 's#^[0-9]+ successes? / ([0-9]+) .*#\1#' <<<"$line")
  e=$(sed -E 's#^.* / ([0-9]+) errors?.*#\1#' <<<"$line")
  passed=$((passed + s))
  failed=$((failed + f + e))
}

# run_busted VERSION INTERPRETER [busted args...]: the suite against build/VERSION.
run_busted() {
  local v=$1 interp=$2 out status=0
  shift 2
  out=$(mktemp)
  "$interp" /usr/bin/busted --cpath="build/$v/?.so" "$@" 2>&1 | tee "$out" || status=$?
  tally_busted "$out"
  rm -f "$out"
  if [ "$status" -ne 0 ]; then
    echo "lua-coc: the Busted suite failed under $interp" >&2
    finish
  fi
}

# The closing line CI reads, and the exit status.
finish() {
  printf '\nlua-coc: all tests: %d passed, %d failed\n' "$passed" "$failed"
  [ "$failed" -eq 0 ] || exit 1
  exit 0
}

# Starts the emulator once for the whole run and exports its environment.
start_emulator() {
  [ -n "${COC_EMULATOR_DIR:-}" ] && return 0
  local dir="$PWD/build/emulator"
  emulator/stop "$dir" >/dev/null 2>&1 || true
  emulator/start "$dir" >/dev/null
  # shellcheck disable=SC1091
  . "$dir/env"
  trap 'emulator/stop "$COC_EMULATOR_DIR" >/dev/null 2>&1 || true' EXIT
}
