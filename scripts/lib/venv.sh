# Sourced by the validation scripts: makes a Python virtual environment outside the
# repository and installs the tools they need into it.
#   ops_venv NAME REQUIREMENT...   sets OPS_VENV to the environment's folder
# The folders live under $NN_OPS_CACHE (default ~/.cache/nnserve); NN_OPS_VENV overrides the
# folder of the environment named "ops". pip returns at once, without asking the index, when
# the installed versions already satisfy the requirements.

ops_venv() {
  local name="$1"
  shift
  local cache="${NN_OPS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nnserve}"
  OPS_VENV="$cache/$name-venv"
  if [ "$name" = ops ] && [ -n "${NN_OPS_VENV:-}" ]; then
    OPS_VENV="$NN_OPS_VENV"
  fi
  if [ ! -x "$OPS_VENV/bin/python" ]; then
    echo "creating $OPS_VENV" >&2
    mkdir -p "$(dirname "$OPS_VENV")"
    python3 -m venv "$OPS_VENV"
  fi
  timeout 900 "$OPS_VENV/bin/pip" install --quiet --disable-pip-version-check "$@"
}
