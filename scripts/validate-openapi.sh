#!/usr/bin/env bash
# Validates openapi.yaml: the document against the OpenAPI 3.1 schema (openapi-spec-validator),
# then every example in it against the schema beside it (scripts/check_openapi_examples.py).
# The tools go into a virtual environment outside the repository (scripts/lib/venv.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/venv.sh

ops_venv ops "openapi-spec-validator>=0.7,<1"
timeout 120 "$OPS_VENV/bin/openapi-spec-validator" openapi.yaml
timeout 120 "$OPS_VENV/bin/python" scripts/check_openapi_examples.py openapi.yaml
