# The libFuzzer harnesses of fuzz/ (validator + serializer round trip, the
# signer's canonicalization, response handling over loopback), each for
# FUZZ_SMOKE_SECONDS (default 25 s) from its seed corpus: `make fuzz-smoke`.
# Longer runs by hand: `make fuzz FUZZ_SECONDS=600`.
step "fuzzing: each harness for ${FUZZ_SMOKE_SECONDS:-25} s (make fuzz-smoke)"
if make -s fuzz-smoke ${FUZZ_SMOKE_SECONDS:+FUZZ_SMOKE_SECONDS="$FUZZ_SMOKE_SECONDS"}; then
  passed=$((passed + 1))
else
  echo "lua-coc: a fuzz harness found a crash or a broken invariant" >&2
  failed=$((failed + 1))
  finish
fi
