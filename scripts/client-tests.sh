#!/usr/bin/env bash
# Tests of the Python client (clients/python) against real nnserve processes that the tests
# start from the release build (`swift build -c release`). The client is installed with pytest,
# numpy and pandas into a virtual environment outside the repository (scripts/lib/venv.sh).
# Bounded to 5 minutes. Exit status: 0 when every test passed, 1 otherwise (failures, errors,
# an interrupted run, or no test collected at all).
set -uo pipefail
cd "$(dirname "$0")/.."
export NNSERVE_BIN="${NNSERVE_BIN:-$PWD/.build/release/nnserve}"
[ -x "$NNSERVE_BIN" ] || { echo "client-tests: build first: swift build -c release" >&2; exit 2; }
source scripts/lib/venv.sh
ops_venv client "requests>=2.25" "pytest>=7" "numpy>=1.20" "pandas>=1.3" \
    || { echo "client-tests: could not install requests, pytest, numpy and pandas" >&2; exit 2; }
# A fresh install of the package each run, so that the tests see the client as users get it. It is
# built from a copy, so that the build leaves no files in the repository.
copy=$(mktemp -d)
trap 'rm -rf "$copy"' EXIT
cp -r clients/python/pyproject.toml clients/python/README.md clients/python/src "$copy/"
timeout 300 "$OPS_VENV/bin/pip" install --quiet --disable-pip-version-check --force-reinstall --no-deps \
    "$copy" || { echo "client-tests: could not install clients/python" >&2; exit 2; }
"$OPS_VENV/bin/pip" check --disable-pip-version-check >/dev/null \
    || { echo "client-tests: the client's declared dependencies are not met" >&2; exit 2; }
cd clients/python
timeout 300 "$OPS_VENV/bin/python" -m pytest -p no:cacheprovider -q -rfEs tests
status=$?
case $status in
    0) echo "client-tests: all passed" ;;
    1) echo "client-tests: some tests failed" >&2 ;;
    5) echo "client-tests: no tests were collected" >&2; status=1 ;;
    124) echo "client-tests: timed out after 300 s" >&2 ;;
    *) echo "client-tests: pytest stopped with status $status (interrupted, internal or usage error)" >&2 ;;
esac
[ $status -eq 0 ] || exit 1
