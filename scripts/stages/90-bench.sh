step "benchmarks, short mode (figures only: nothing here fails on time)"
make -s bench-short
passed=$((passed + 1))
