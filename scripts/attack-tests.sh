#!/usr/bin/env bash
# The attack suite: every scripts/attack/*_attacks.py against real nnserve processes (each
# script starts its own). Needs a release build (`swift build -c release`). Each script is
# bounded in time; the suite fails if any check fails or any script overruns.
set -uo pipefail
cd "$(dirname "$0")/.."
export NNSERVE_BIN="${NNSERVE_BIN:-$PWD/.build/release/nnserve}"
[ -x "$NNSERVE_BIN" ] || { echo "attack-tests: build first: swift build -c release" >&2; exit 2; }
status=0
for script in scripts/attack/*_attacks.py; do
    [ -e "$script" ] || continue
    echo "== $script"
    if ! timeout 300 python3 "$script"; then
        echo "attack-tests: $script failed" >&2
        status=1
    fi
done
exit $status
