#!/usr/bin/env bash
# Property-based API test: schemathesis generates requests from openapi.yaml, sends them to a
# running nnserve and runs every check it has: no server error (5xx), every answer as the
# spec gives it for its status, schema-invalid requests refused, schema-valid ones accepted.
#
#   scripts/schemathesis.sh [BASE_URL]        default http://127.0.0.1:8080
#
# Settings (environment): NN_API_TOKEN   sent as "Authorization: Bearer ..." when set
#                         MAX_EXAMPLES   test cases per operation (default 20)
#                         MAX_TIME       if set, keep fuzzing until this many seconds are spent
#                                        (schemathesis --max-time); otherwise stop after
#                                        MAX_EXAMPLES per operation
#                         TIME_LIMIT     hard stop in seconds (default 600)
#                         SEED           for a reproducible run (default 1)
#                         CHECKS         schemathesis checks (default all; scripts/schemathesis.toml
#                                        sets what they expect)
#                         REPORT_DIR     where the JUnit report goes (default a temporary folder)
# Only use it against a server whose data you can lose: it creates and deletes data sets,
# models and jobs. The tool goes into a virtual environment outside the repository.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/venv.sh

base_url="${1:-http://127.0.0.1:8080}"
max_examples="${MAX_EXAMPLES:-20}"
time_limit="${TIME_LIMIT:-600}"
seed="${SEED:-1}"

curl -fsS --max-time 5 -o /dev/null "$base_url/healthz" || {
  echo "no nnserve answers at $base_url (GET /healthz failed); start one first" >&2
  exit 1
}

ops_venv schemathesis "schemathesis>=4,<5"

report_dir="${REPORT_DIR:-}"
cleanup_report=""
if [ -z "$report_dir" ]; then
  report_dir="$(mktemp -d "${TMPDIR:-/tmp}/nnserve-schemathesis.XXXXXX")"
  cleanup_report=yes
fi
mkdir -p "$report_dir"
report_dir="$(cd "$report_dir" && pwd)"
cleanup() { [ -n "$cleanup_report" ] && rm -rf "$report_dir"; return 0; }
trap cleanup EXIT

options=()
[ -n "${NN_API_TOKEN:-}" ] && options+=(--header "Authorization: Bearer $NN_API_TOKEN")
[ -n "${MAX_TIME:-}" ] && options+=(--max-time "$MAX_TIME")

# Bounded by the number of examples (or MAX_TIME) and by a hard stop. The event stream of a
# job that never ends would hold a request open, hence the timeout per request. It runs in
# the report folder because schemathesis keeps its example database in the working folder.
spec="$PWD/openapi.yaml"
config="$PWD/scripts/schemathesis.toml"
cd "$report_dir"
timeout --kill-after=10 "$time_limit" \
  "$OPS_VENV/bin/schemathesis" --no-color --config-file "$config" run "$spec" \
  --url "$base_url" \
  "${options[@]}" \
  --checks "${CHECKS:-all}" \
  --max-examples "$max_examples" \
  --seed "$seed" \
  --request-timeout 20 \
  --workers 1 \
  --report junit --report-dir "$report_dir"
