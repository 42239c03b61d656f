#!/usr/bin/env bash
# Builds and runs every libFuzzer target for a bounded time each, one after another:
#   http-decoder   MicroHTTP's request decoder (scripts/fuzz-http.sh)
#   json-dataset   the JSON parser and the JSON data set reader
#   csv-dataset    the CSV data set reader (first line: query string; rest: body)
#   safetensors    the safetensors reader
#   model-spec     the model spec and job decoders, the memory estimate, building the network
#
#   scripts/fuzz-all.sh [SECONDS] [TARGET...]     (default 60 s each, every target)
#
# Corpora grow in fuzz-artifacts/<target>/corpus (seeded from Fuzz/corpus/<target>/), crash
# files land in fuzz-artifacts/<target>/. Exits non-zero if any target finds a failing input;
# replay one with .build-fuzz/<target>-fuzzer fuzz-artifacts/<target>/crash-….
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(http-decoder json-dataset csv-dataset safetensors model-spec)

declare -A files=(
  [json-dataset]=Fuzz/JSONDatasetFuzzer.swift
  [csv-dataset]=Fuzz/CSVDatasetFuzzer.swift
  [safetensors]=Fuzz/SafetensorsFuzzer.swift
  [model-spec]=Fuzz/ModelSpecFuzzer.swift
)

needs_libs=0
for target in "${targets[@]}"; do [ "$target" = http-decoder ] || needs_libs=1; done
[ "$needs_libs" = 0 ] || scripts/fuzz-build-libs.sh
lib=.build-fuzz/lib

failed=()
for target in "${targets[@]}"; do
  if [ "$target" = http-decoder ]; then
    scripts/fuzz-http.sh "$seconds" || failed+=("$target")
    continue
  fi
  source_file="${files[$target]:-}"
  [ -n "$source_file" ] || { echo "unknown fuzz target '$target'" >&2; exit 2; }
  binary=".build-fuzz/$target-fuzzer"
  out="fuzz-artifacts/$target"
  mkdir -p "$out/corpus"
  if [ ! -x "$binary" ] || [ -n "$(find "$source_file" "$lib" -newer "$binary" | head -1)" ]; then
    echo "building $binary" >&2
    swiftc -sanitize=fuzzer,address -parse-as-library -O -g -swift-version 6 -module-name FuzzTarget \
      -I "$lib" -I Sources/CMalloc -I "$lib/CPUFeatures" -I Sources/CZlib -I Sources/CSQLite -I Sources/CLibPQ -Xcc -I/usr/include/postgresql -L "$lib" "$source_file" -lNNService -lSQLiteStore -lPostgresStore -lMicroHTTP -lNNCore -lNNKernelsAVX2 -lNNKernelsAVX512 -lNNKernelTemplates -lCPUFeatures -lsqlite3 -lpq -lz \
      -o "$binary" 2> >(grep -v "ld.gold: warning: Cannot export local symbol" >&2)
  fi
  cp -n "Fuzz/corpus/$target"/* "$out/corpus/" 2>/dev/null || true
  echo "fuzzing $target for ${seconds}s" >&2
  # SWIFT_BACKTRACE=enable=no: the Swift backtracer can hang on a crash instead of letting
  # libFuzzer write the crash file and exit.
  SWIFT_BACKTRACE=enable=no "$binary" "$out/corpus" -max_total_time="$seconds" -max_len=8192 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$out/" >"$out/last-run.log" 2>&1 || true
  grep -E "stat::number_of_executed_units|Done [0-9]+ runs" "$out/last-run.log" | sed "s/^/$target: /" >&2 || true
  if grep -qE "Test unit written|ERROR: libFuzzer|ERROR: AddressSanitizer" "$out/last-run.log"; then
    echo "$target: the fuzzer found a failing input; see $out/last-run.log" >&2
    failed+=("$target")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "findings in: ${failed[*]}" >&2
  exit 1
fi
echo "no findings (${#targets[@]} targets, ${seconds}s each)" >&2
