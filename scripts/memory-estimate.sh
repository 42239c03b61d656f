#!/usr/bin/env bash
# Checks the memory estimate behind NN_MAX_MEMORY against measurement: for the workloads W1-W4 and W6
# of the benchmark at batch 64, each in a fresh process, nn-bench --memory trains one epoch and
# compares the peak resident memory it added (VmHWM growth) with MemoryEstimate. Fails when an
# estimate is off by more than 30%. Takes about 10 s after a release build.
#
#   scripts/memory-estimate.sh [threads]      (default 2)
set -euo pipefail
cd "$(dirname "$0")/.."
threads="${1:-2}"
bench=.build/release/nn-bench
[ -x "$bench" ] || swift build -c release --product nn-bench >/dev/null
status=0
for workload in W1 W2 W3 W4 W6; do
  line=$("$bench" --memory "$workload" --threads "$threads")
  echo "$line"
  python3 - "$line" <<'PY' || status=1
import json, sys
r = json.loads(sys.argv[1])
ok = 0.7 <= r["ratio"] <= 1.3
print(f'{r["id"]}: estimate {r["estimate_bytes"]/2**20:.1f} MiB, measured {r["measured_bytes"]/2**20:.1f} MiB, '
      f'ratio {r["ratio"]:.2f} {"ok" if ok else "OUTSIDE ±30%"}')
sys.exit(0 if ok else 1)
PY
done
exit "$status"
