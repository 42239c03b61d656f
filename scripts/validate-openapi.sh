#!/usr/bin/env bash
# Validates openapi.yaml: the document against the OpenAPI 3.1 schema (openapi-spec-validator),
# then every example in it against the schema beside it (scripts/check_openapi_examples.py).
# The tools live in a virtual environment outside the repository, made on first use:
# $NN_OPS_VENV, by default ~/.cache/nnserve/ops-venv.
set -euo pipefail
cd "$(dirname "$0")/.."

venv="${NN_OPS_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/nnserve/ops-venv}"
if [ ! -x "$venv/bin/openapi-spec-validator" ]; then
  echo "creating $venv" >&2
  python3 -m venv "$venv"
  timeout 600 "$venv/bin/pip" install --quiet --disable-pip-version-check "openapi-spec-validator>=0.7,<1"
fi

timeout 120 "$venv/bin/openapi-spec-validator" openapi.yaml
timeout 120 "$venv/bin/python" scripts/check_openapi_examples.py openapi.yaml
