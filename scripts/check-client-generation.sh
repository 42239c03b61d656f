#!/usr/bin/env bash
# Generates a Python client from openapi.yaml with openapi-python-client, the most used
# generator, and fails if it left out any operation: a schema it cannot follow (a recursive
# array, say) makes it drop the operations that use it, with only a warning.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/venv.sh
ops_venv openapi-client "openapi-python-client>=0.21,<1"
out="$(mktemp -d "${TMPDIR:-/tmp}/nnserve-client.XXXXXX")"
trap 'rm -rf "$out"' EXIT
# It runs ruff on the result when ruff is installed; the check needs only the files.
(cd "$out" && "$OPS_VENV/bin/openapi-python-client" generate --path "$OLDPWD/openapi.yaml" \
    --output-path "$out/client" > "$out/generate.log" 2>&1) || { cat "$out/generate.log"; exit 1; }
"$OPS_VENV/bin/python" - "$PWD/openapi.yaml" "$out/client" <<'PY'
import pathlib, re, sys
from ruamel.yaml import YAML

spec = YAML(typ="safe").load(pathlib.Path(sys.argv[1]).read_text())
methods = {"get", "put", "post", "delete", "patch", "head", "options"}
wanted = {op["operationId"] for item in spec["paths"].values()
          for method, op in item.items() if method in methods}
snake = lambda name: re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
generated = {path.stem for path in pathlib.Path(sys.argv[2]).rglob("api/*/*.py") if path.stem != "__init__"}
missing = sorted(name for name in wanted if snake(name) not in generated)
for name in missing:
    print(f"not generated: {name}")
print(f"client generation: {len(wanted) - len(missing)} passed, {len(missing)} failed")
sys.exit(1 if missing else 0)
PY
