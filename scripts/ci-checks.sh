#!/usr/bin/env bash
# The checks CI runs after the test suite, on the release build `make test` made:
#   1. openapi.yaml is a valid OpenAPI 3.1 document (openapi-spec-validator);
#   2. openapi-python-client generates every operation;
#   3. every YAML file parses and the deploy manifests pass their schema checks;
#   4. the container smoke test (the Dockerfile's steps performed on the host);
#   5. schemathesis against a freshly started server: no 5xx, every answer as the spec says.
# Python tools install into virtual environments outside the repository.
set -euo pipefail
cd "$(dirname "$0")/.."
binary=.build/release/nnserve
[ -x "$binary" ] || swift build -c release --product nnserve

echo "== openapi.yaml"
scripts/validate-openapi.sh
echo "== a generated Python client has every operation"
scripts/check-client-generation.sh
echo "== YAML files"
scripts/validate-yaml.sh
echo "== container smoke test"
NNSERVE_BIN="$PWD/$binary" scripts/container-smoke.sh

echo "== schemathesis"
work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
# With a token, so that the checks also see every /v1 route refuse requests without it.
export NN_API_TOKEN="ci-$RANDOM-$RANDOM"
NN_LOG_LEVEL=warn "$binary" --port 0 --data-dir "$work/data" --openapi openapi.yaml 2>"$work/server.log" &
server=$!
for _ in $(seq 100); do grep -q "listening on" "$work/server.log" && break; sleep 0.1; done
port=$(grep -o 'listening on [0-9.]*:[0-9]*' "$work/server.log" | grep -o '[0-9]*$')
MAX_EXAMPLES="${MAX_EXAMPLES:-20}" TIME_LIMIT="${TIME_LIMIT:-900}" scripts/schemathesis.sh "http://127.0.0.1:$port"
kill -TERM "$server"
wait "$server"
echo "server stopped with status $?"
