#!/usr/bin/env bash
# Builds NNCore (with its kernel modules), MicroHTTP, SQLiteStore, PostgresStore and NNService as static libraries instrumented for
# libFuzzer (coverage) and AddressSanitizer, for the targets in Fuzz/ that need the service's
# parsers. SwiftPM has no fuzzer mode on Linux, so this calls swiftc directly, one module at a
# time in dependency order. Output: .build-fuzz/lib (modules and archives).
set -euo pipefail
cd "$(dirname "$0")/.."
lib=.build-fuzz/lib
mkdir -p "$lib"

vector=()
wide=()
if [ "$(uname -m)" = x86_64 ]; then
  vector=(-Xcc -mavx2 -Xcc -mfma)
  wide=("${vector[@]}" -Xcc -mavx512f -Xcc -mavx512vl -Xcc -mavx512bw -Xcc -mavx512dq)
fi

# CPUFeatures is C: compile it, and give swiftc the module map SwiftPM would have made.
mkdir -p "$lib/CPUFeatures"
cat > "$lib/CPUFeatures/module.modulemap" <<MAP
module CPUFeatures {
  header "$PWD/Sources/CPUFeatures/include/cpu_features.h"
  export *
}
MAP
if [ ! -f "$lib/libCPUFeatures.a" ] || [ Sources/CPUFeatures/cpu_features.c -nt "$lib/libCPUFeatures.a" ]; then
  clang -O2 -g -fsanitize=fuzzer-no-link,address -I Sources/CPUFeatures/include \
    -c Sources/CPUFeatures/cpu_features.c -o "$lib/cpu_features.o"
  ar rcs "$lib/libCPUFeatures.a" "$lib/cpu_features.o"
fi

build_module() {
  local name="$1"; shift
  local stamp="$lib/$name.stamp"
  local newest
  newest=$(find "Sources/$name" -name '*.swift' -newer "$stamp" 2>/dev/null | head -1 || true)
  if [ -f "$stamp" ] && [ -z "$newest" ] && [ "${FORCE:-0}" = 0 ]; then return; fi
  echo "building $name for fuzzing" >&2
  # -sanitize=fuzzer on a library adds coverage instrumentation only; the fuzzer binary links
  # libFuzzer's main. -enable-testing lets a fuzz target reach internal parsers.
  swiftc -parse-as-library -O -g -sanitize=fuzzer,address -enable-testing -swift-version 6 -package-name nnserve \
    -module-name "$name" -emit-module -emit-module-path "$lib/$name.swiftmodule" \
    -emit-library -static -o "$lib/lib$name.a" -I "$lib" "$@" \
    $(find "Sources/$name" -name '*.swift' | sort) \
    2> >(grep -v "ld.gold: warning: Cannot export local symbol" >&2)
  touch "$stamp"
}

build_module NNKernelTemplates
build_module NNKernelsAVX2 "${vector[@]}"
build_module NNKernelsAVX512 "${wide[@]}"
build_module NNCore -I Sources/CMalloc -I "$lib/CPUFeatures" "${vector[@]}"
build_module MicroHTTP -I Sources/CZlib
build_module SQLiteStore -I Sources/CSQLite
# libpq's headers live under /usr/include/postgresql (pkg-config libpq --cflags).
build_module PostgresStore -I Sources/CLibPQ -Xcc -I/usr/include/postgresql
# The dashboard's files, as SwiftPM's embedInCode rule would give them (`PackageResources`).
resources="$lib/NNService-resources.swift"
python3 - "$resources" Sources/NNService/UI/Assets/* <<'PY'
import os, sys
lines = ["struct PackageResources {"]
for path in sys.argv[2:]:
    name = os.path.basename(path).replace(".", "_").replace("-", "_")
    data = open(path, "rb").read()
    lines.append(f"static let {name}: [UInt8] = [{','.join(map(str, data))}]")
lines.append("}")
open(sys.argv[1], "w").write("\n".join(lines) + "\n")
PY
build_module NNService -I Sources/CMalloc -I "$lib/CPUFeatures" -I Sources/CZlib -I Sources/CSQLite \
  -I Sources/CLibPQ -Xcc -I/usr/include/postgresql "${vector[@]}" "$resources"
