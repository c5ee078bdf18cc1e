step "the local COC emulator (its own selftest, then one for the suites)"
emulator/selftest | tail -n 1
passed=$((passed + 1))
start_emulator
echo "emulator at $COC_EMULATOR_URL"
