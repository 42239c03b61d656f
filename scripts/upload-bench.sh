#!/usr/bin/env bash
# The data set parsers alone on one thread (Tests/NNServiceTests/UploadParserBenchmark.swift): a
# 150 MiB JSON and a 150 MiB CSV upload fed in 16 KiB pieces, in MiB per CPU-second of the thread
# (the one-core figure, whatever else the machine runs). Fails below 150 MiB/s for either.
# Builds its own release copy with -enable-testing (the parsers are internal) in .build-bench;
# the first build takes as long as a full release build.
set -euo pipefail
cd "$(dirname "$0")/.."
flags=(-c release --scratch-path .build-bench -Xswiftc -enable-testing -Xswiftc -DUPLOAD_BENCH)
swift build "${flags[@]}" --build-tests 2>&1 | grep -E "error|warning:" || true
swift test "${flags[@]}" --skip-build --filter UploadParserBenchmark 2>&1 |
  grep -E "MiB per CPU|error|passed|failed"
