#!/usr/bin/env bash
# Interchange checks with the real tools: PyTorch loads nnserve's weights with strict=True,
# onnx.checker and onnxruntime run its ONNX exports, Keras documents import and train; all
# against real nnserve processes, every output compared with /predict within 1e-5.
# Needs a release build (`swift build -c release`). Installs torch, numpy, onnx, onnxruntime
# and keras from PyPI into a venv outside the repository ($INTERCHANGE_VENV, default
# /tmp/nn-interchange) unless it already has them; torch is large, so the first install
# takes minutes. Each script is bounded in time.
set -uo pipefail
cd "$(dirname "$0")/.."
export NNSERVE_BIN="${NNSERVE_BIN:-$PWD/.build/release/nnserve}"
[ -x "$NNSERVE_BIN" ] || { echo "interchange-tests: build first: swift build -c release" >&2; exit 2; }
VENV="${INTERCHANGE_VENV:-/tmp/nn-interchange}"
export KERAS_BACKEND=torch
if ! "$VENV/bin/python" -c "import torch, numpy, onnx, onnxruntime, keras" 2>/dev/null; then
    echo "== installing torch numpy onnx onnxruntime keras into $VENV"
    python3 -m venv "$VENV" || exit 2
    timeout 1500 "$VENV/bin/pip" install --quiet torch numpy onnx onnxruntime keras || exit 2
fi
status=0
for script in scripts/interchange/*_check.py; do
    echo "== $script"
    if ! timeout 600 "$VENV/bin/python" "$script"; then
        echo "interchange-tests: $script failed" >&2
        status=1
    fi
done
exit $status
