#!/usr/bin/env bash
# Browser tests of the dashboard: headless Chromium (Debian's chromium and chromium-driver)
# driven by Selenium against real nnserve processes (scripts/ui/test_dashboard.py).
# Needs a release build (`swift build -c release`). Installs what is missing; screenshots of
# every page go to $UI_ARTIFACTS (default /tmp/nnserve-ui-artifacts). Bounded to 5 minutes in all.
set -uo pipefail
cd "$(dirname "$0")/.."
export NNSERVE_BIN="${NNSERVE_BIN:-$PWD/.build/release/nnserve}"
[ -x "$NNSERVE_BIN" ] || { echo "ui-tests: build first: swift build -c release" >&2; exit 2; }
if [ ! -x /usr/bin/chromedriver ] || ! command -v chromium >/dev/null; then
    echo "ui-tests: installing chromium and chromium-driver" >&2
    export DEBIAN_FRONTEND=noninteractive
    timeout 100 apt-get update -qq && timeout 150 apt-get install -y -qq chromium chromium-driver >/dev/null \
        || { echo "ui-tests: could not install chromium" >&2; exit 2; }
fi
source scripts/lib/venv.sh
ops_venv ui "selenium>=4.10,<5" || { echo "ui-tests: could not install selenium" >&2; exit 2; }
export UI_ARTIFACTS="${UI_ARTIFACTS:-/tmp/nnserve-ui-artifacts}"
mkdir -p "$UI_ARTIFACTS"
# The whole run, installs included, stays within 5 minutes.
budget=$((300 - SECONDS))
[ $budget -ge 60 ] || budget=60
timeout "$budget" "$OPS_VENV/bin/python" scripts/ui/test_dashboard.py
status=$?
[ $status -eq 124 ] && echo "ui-tests: timed out after $budget s" >&2
echo "ui-tests: screenshots in $UI_ARTIFACTS"
exit $status
