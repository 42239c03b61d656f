#!/bin/sh
# The long sweep test on the digits data against a real nnserve (Tests/NNServiceTests/
# SweepDigitsTests.swift): three 12-trial sweeps (ASHA twice, then every trial to completion).
# Bounded in time; prints the measured wall times.
set -eu
cd "$(dirname "$0")/.."
swift build -c release --build-tests
# The output goes through a file, not `tee /dev/stderr`: opening /dev/stderr anew truncates a
# log file that stderr points at.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
NN_SWEEP_TESTS=1 timeout 900 swift test -c release --skip-build --filter SweepDigitsTests >"$log" 2>&1 || status=$?
cat "$log"
[ "$status" -eq 0 ] && grep -q "Executed 1 test, with 0 failures" "$log"
