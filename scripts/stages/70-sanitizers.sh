# The C core test and the Busted suite (Lua 5.4, against the emulator; all but
# the specs that run subprocesses with a clean environment, see the Makefile)
# once more, with the module built with ASan+UBSan into build/asan and the
# sanitizer runtime preloaded into lua5.4 (`make asan`; leak suppressions,
# none needed today, in test/lsan.supp). Any sanitizer report fails.
step "ASan+UBSan: the C core test and the Busted suite under lua5.4"
start_emulator
san_log=$(mktemp)
san_status=0
make -s asan 2>&1 | tee "$san_log" || san_status=$?
tally_busted "$san_log"
san_reports=$(grep -cE '^==[0-9]+==ERROR: |^SUMMARY: [A-Za-z]+Sanitizer|runtime error: ' "$san_log" || true)
echo "sanitizer reports: $san_reports"
rm -f "$san_log"
if [ "$san_status" -ne 0 ] || [ "$san_reports" -ne 0 ]; then
  echo "lua-coc: the suite failed under ASan+UBSan" >&2
  failed=$((failed + 1))
  finish
fi
