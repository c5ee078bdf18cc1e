# The C core test and the whole Busted suite (Lua 5.4) under valgrind
# memcheck (`make valgrind`): any memory error, or any block definitely or
# indirectly lost, fails (suppressions, none needed today, in
# test/valgrind.supp). About 35 s: the suite mostly waits on the emulator.
step "valgrind memcheck: the C core test and the Busted suite under lua5.4"
start_emulator
vg_log=$(mktemp)
vg_status=0
make -s valgrind >"$vg_log" 2>&1 || vg_status=$?
# busted's own lines, then memcheck's summaries (its full report on failure)
grep -vE '^==[0-9]+==' "$vg_log" || true
grep -E '==[0-9]+== +(definitely|indirectly) lost:|ERROR SUMMARY' "$vg_log" || true
tally_busted "$vg_log"
vg_errors=$(awk '/== ERROR SUMMARY: /{ for (i = 1; i <= NF; i++) if ($i == "SUMMARY:") n += $(i + 1); runs++ }
  END { print runs ? n : "none" }' "$vg_log")
[ "$vg_status" -eq 0 ] || cat "$vg_log"
echo "valgrind errors: ${vg_errors:-missing}"
rm -f "$vg_log"
if [ "$vg_status" -ne 0 ] || [ "${vg_errors:-1}" != 0 ]; then
  echo "lua-coc: the suite failed under valgrind" >&2
  failed=$((failed + 1))
  finish
fi
