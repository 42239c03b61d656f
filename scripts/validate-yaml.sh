#!/usr/bin/env bash
# Validates every YAML file of the repository:
#   1. each parses (yaml.safe_load_all), tracked or new, ignored files excluded;
#   2. deploy/compose.yaml against the Compose Specification schema (check-jsonschema's copy);
#   3. the Kubernetes manifests against the API's schemas, rejecting unknown fields
#      (kubernetes-validate --strict; it ships the schemas, so no cluster is needed);
#   4. the properties the deployment relies on (scripts/check_deploy_policy.py).
# The tools go into a virtual environment outside the repository (scripts/lib/venv.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/venv.sh

ops_venv ops "PyYAML>=6" "check-jsonschema>=0.28,<1" "kubernetes-validate>=1.30,<2"

mapfile -t files < <(git ls-files --cached --others --exclude-standard -- '*.yaml' '*.yml' | sort -u)
[ ${#files[@]} -gt 0 ] || { echo "no YAML files found" >&2; exit 1; }
timeout 60 "$OPS_VENV/bin/python" - "${files[@]}" <<'PY'
import sys
import yaml
failed = 0
for name in sys.argv[1:]:
    try:
        with open(name, encoding="utf-8") as handle:
            count = sum(1 for _ in yaml.safe_load_all(handle))
        print(f"parsed {name} ({count} document{'s' if count != 1 else ''})")
    except (OSError, yaml.YAMLError) as error:
        failed += 1
        print(f"{name}: {error}", file=sys.stderr)
sys.exit(1 if failed else 0)
PY

timeout 60 "$OPS_VENV/bin/check-jsonschema" --builtin-schema vendor.compose-spec deploy/compose.yaml

mapfile -t manifests < <(find deploy/k8s -name '*.yaml' ! -name kustomization.yaml | sort)
timeout 120 "$OPS_VENV/bin/kubernetes-validate" --strict --no-warn "${manifests[@]}"

timeout 60 "$OPS_VENV/bin/python" scripts/check_deploy_policy.py
