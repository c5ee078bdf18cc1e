# Soak in its short mode: 3,000 updates through one client with faults
# sprinkled in (bench/soak.lua; 100,000 by hand): no crash, no descriptor or
# connection leak, every call accounted for.
step "soak: ${SOAK_COUNT:-3000} updates through one client, with faults"
start_emulator
make -s
if SOAK_CPATH="${BUILD:-build}/5.4/?.so" lua5.4 bench/soak.lua "${SOAK_COUNT:-3000}"; then
  passed=$((passed + 1))
else
  failed=$((failed + 1))
  finish
fi
