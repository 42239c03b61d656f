#!/usr/bin/env bash
# Builds the libFuzzer target for MicroHTTP's request decoder and runs it for a bounded time.
#
#   scripts/fuzz-http.sh [seconds]        (default 60; FUZZ_SECONDS also works)
#
# The binary goes to .build-fuzz/, the growing corpus and any crash files to fuzz-artifacts/
# (both ignored by git). The committed seeds live in Fuzz/corpus/http-request/. A crash file can
# be replayed with: .build-fuzz/http-decoder-fuzzer fuzz-artifacts/crash-…
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-${FUZZ_SECONDS:-60}}"
build_dir=.build-fuzz
out_dir=fuzz-artifacts
binary="$build_dir/http-decoder-fuzzer"
mkdir -p "$build_dir" "$out_dir/corpus"

# The decoder and the value types it uses; nothing here touches sockets or zlib.
sources=(
  Fuzz/HTTPRequestDecoderFuzzer.swift
  Sources/MicroHTTP/HTTPLimits.swift
  Sources/MicroHTTP/HTTPError.swift
  Sources/MicroHTTP/HTTPStatus.swift
  Sources/MicroHTTP/HTTPMethod.swift
  Sources/MicroHTTP/HTTPHeaders.swift
  Sources/MicroHTTP/HTTPSyntax.swift
  Sources/MicroHTTP/HTTPRequestHead.swift
  Sources/MicroHTTP/HTTPRequestDecoder.swift
  Sources/MicroHTTP/HTTPRequestDecoder+Head.swift
  Sources/MicroHTTP/HTTPRequestDecoder+Framing.swift
  Sources/MicroHTTP/HTTPRequestDecoder+Chunked.swift
)

echo "building $binary" >&2
swiftc -sanitize=fuzzer,address -parse-as-library -O -g -module-name HTTPDecoderFuzz \
  "${sources[@]}" -o "$binary" 2> >(grep -v "ld.gold: warning: Cannot export local symbol" >&2)

cp -n Fuzz/corpus/http-request/* "$out_dir/corpus/" 2>/dev/null || true

echo "fuzzing for ${seconds}s; corpus and crashes in $out_dir/" >&2
# Without SWIFT_BACKTRACE=enable=no the Swift backtracer can hang on a crash instead of
# letting libFuzzer write the crash file and exit.
SWIFT_BACKTRACE=enable=no "$binary" "$out_dir/corpus" \
  -max_total_time="$seconds" -max_len=4096 -print_final_stats=1 \
  -artifact_prefix="$out_dir/" 2>&1 | tee "$out_dir/last-run.log" | grep -E "^#[0-9]+.*(pulse|DONE)|stat::|ERROR|SUMMARY|Test unit written" || true

status=${PIPESTATUS[0]}
if grep -q "Test unit written" "$out_dir/last-run.log"; then
  echo "the fuzzer found a failing input; see $out_dir/last-run.log" >&2
  exit 1
fi
exit "$status"
