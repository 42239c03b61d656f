#!/usr/bin/env bash
# Container smoke test without a container engine: performs the Dockerfile's build and
# runtime steps on this host and checks the result as a user of the image would.
#
#   1. build the release binary (`swift build -c release --product nnserve`);
#   2. lay out a fresh directory like the runtime image: the binary, the Swift runtime
#      libraries ldd names (copied from the toolchain), the crash reporter, the health check,
#      openapi.yaml, an empty /data;
#   3. check with ldd (LD_LIBRARY_PATH = the copied libraries) that nothing is "not found",
#      that every Swift library resolves to the copy, and that every other library comes from
#      a Debian package the Dockerfile installs (or libc6, which every Debian image has);
#   4. start the server from there on a free loopback port with the image's settings, an API
#      token and a scratch data directory, and check: the health check script, 401 without the
#      token, a CSV upload, a training job that succeeds, a prediction with `outputs`,
#      /metrics and /openapi.yaml;
#   5. send SIGTERM and require exit status 0 within 10 seconds.
#
# Settings (environment): SCRATCH_PATH  passed to swift build as --scratch-path
#                         NNSERVE_BIN   use this binary instead of building one
#                         KEEP=1        keep the temporary directory (its path is printed)
# Exits non-zero on any failure; removes everything it made unless KEEP=1.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"

log() { printf '%s smoke: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
fail() { log "FAILED: $*"; exit 1; }

for tool in swift ldd curl python3 dpkg; do
  command -v "$tool" >/dev/null || fail "$tool is needed"
done

root="$(mktemp -d "${TMPDIR:-/tmp}/nnserve-smoke.XXXXXX")"
server_pid=""
cleanup() {
  local status=$?
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  if [ "$status" -ne 0 ] && [ -f "$root/server.log" ]; then
    echo "--- server log (last 40 lines) ---" >&2
    tail -n 40 "$root/server.log" >&2 || true
  fi
  if [ "${KEEP:-0}" = 1 ]; then
    log "kept $root"
  else
    rm -rf "$root"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- 1. Build (the Dockerfile's build stage) -------------------------------------------
if [ -n "${NNSERVE_BIN:-}" ]; then
  binary="$NNSERVE_BIN"
else
  build_flags=(-c release --product nnserve)
  [ -n "${SCRATCH_PATH:-}" ] && build_flags+=(--scratch-path "$SCRATCH_PATH")
  scripts/install-deps.sh
  log "swift build ${build_flags[*]}"
  timeout 3000 swift build "${build_flags[@]}"
  bin_flags=(-c release)
  [ -n "${SCRATCH_PATH:-}" ] && bin_flags+=(--scratch-path "$SCRATCH_PATH")
  binary="$(swift build "${bin_flags[@]}" --show-bin-path)/nnserve"
fi
[ -x "$binary" ] || fail "no binary at $binary"

# --- 2. Lay out the runtime image ------------------------------------------------------
toolchain_lib="$(cd "$(dirname "$(readlink -f "$(command -v swift)")")/../lib/swift/linux" && pwd)"
toolchain_libexec="$(cd "$toolchain_lib/../../../libexec/swift/linux" && pwd)"
image="$root/image"
lib_dir="$image/usr/lib/swift/linux"
mkdir -p "$image/usr/local/bin" "$lib_dir" "$image/usr/libexec/swift/linux" "$image/usr/share/nnserve" "$image/data"
install -m 0755 "$binary" "$image/usr/local/bin/nnserve"
install -m 0755 deploy/healthcheck.sh "$image/usr/local/bin/nnserve-healthcheck"
install -m 0644 openapi.yaml "$image/usr/share/nnserve/openapi.yaml"
install -m 0755 "$toolchain_libexec/swift-backtrace-static" "$image/usr/libexec/swift/linux/"

# The same selection as the Dockerfile: every library ldd resolves inside the toolchain.
swift_libs=0
while read -r path; do
  cp -L "$path" "$lib_dir/"
  swift_libs=$((swift_libs + 1))
done < <(ldd "$binary" | awk -v dir="$toolchain_lib/" '$2 == "=>" && index($3, dir) == 1 { print $3 }')
[ "$swift_libs" -gt 0 ] || fail "ldd named no Swift runtime library"
log "copied $swift_libs Swift runtime libraries ($(du -sh "$lib_dir" | cut -f1))"

# --- 3. Check the libraries ------------------------------------------------------------
ldd_out="$root/ldd.txt"
env -i LD_LIBRARY_PATH="$lib_dir" ldd "$image/usr/local/bin/nnserve" > "$ldd_out"
if grep -q 'not found' "$ldd_out"; then
  grep 'not found' "$ldd_out" >&2
  fail "libraries not found"
fi
if grep -F "$toolchain_lib" "$ldd_out" >&2; then
  fail "libraries above still resolve into the toolchain, not the copy"
fi

# Every other library must come from a package the runtime stage installs.
runtime_stage="$(awk '/^FROM /{stage++} stage == 2' Dockerfile)"
package_of() {
  local path="$1" candidate
  for candidate in "$path" "/usr$path" "$(readlink -f "$path")"; do
    dpkg -S "$candidate" 2>/dev/null | head -n1 | cut -d: -f1 && return 0
  done
  return 1
}
while read -r path; do
  case "$path" in "$lib_dir"/*) continue ;; esac
  package="$(package_of "$path")" || fail "no Debian package owns $path"
  [ "$package" = libc6 ] && continue
  grep -qwF -- "$package" <<<"$runtime_stage" || fail "$path comes from $package, which the Dockerfile's runtime stage does not install"
done < <(awk '$2 == "=>" { print $3 } $1 ~ "^/" { print $1 }' "$ldd_out")
log "ldd: every library resolves to the copy or to a package the runtime stage installs"

# --- 4. Run it like the image ----------------------------------------------------------
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
token="smoke-$RANDOM$RANDOM"
base="http://127.0.0.1:$port"
(
  cd "$image/data"
  exec env -i PATH=/usr/bin:/bin LD_LIBRARY_PATH="$lib_dir" \
    NN_HOST=127.0.0.1 NN_PORT="$port" NN_DATA_DIR="$image/data" NN_API_TOKEN="$token" \
    NN_OPENAPI_PATH="$image/usr/share/nnserve/openapi.yaml" NN_LOG_LEVEL=info \
    SWIFT_BACKTRACE="enable=yes,interactive=no,swift-backtrace=$image/usr/libexec/swift/linux/swift-backtrace-static" \
    "$image/usr/local/bin/nnserve"
) > "$root/server.log" 2>&1 &
server_pid=$!
log "started nnserve (pid $server_pid) on $base"

body="$root/body"
headers="$root/headers"
# request METHOD PATH [curl arguments...]: prints the status code; body and headers in files.
request() {
  local method="$1" path="$2"
  shift 2
  curl -sS --max-time 30 -o "$body" -D "$headers" -w '%{http_code}' -X "$method" "$@" "$base$path"
}
api() {
  local method="$1" path="$2"
  shift 2
  request "$method" "$path" -H "Authorization: Bearer $token" "$@"
}
expect() { # expect STATUS ACTUAL WHAT
  [ "$2" = "$1" ] || fail "$3: expected HTTP $1, got $2: $(head -c 600 "$body" 2>/dev/null)"
}
json() { # json EXPRESSION: evaluates a Python expression on the last body, bound to `d`
  python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); v = eval(sys.argv[2]); print(v if not isinstance(v, (dict, list)) else json.dumps(v))' "$body" "$1"
}

deadline=$((SECONDS + 30))
until [ "$(request GET /readyz 2>/dev/null)" = 200 ]; do
  kill -0 "$server_pid" 2>/dev/null || fail "nnserve exited during start-up"
  [ "$SECONDS" -lt "$deadline" ] || fail "/readyz not 200 within 30 s"
  sleep 0.2
done
log "ready"

NN_HOST=127.0.0.1 NN_PORT="$port" timeout 10 "$image/usr/local/bin/nnserve-healthcheck" || fail "health check script"
expect 200 "$(request GET /healthz)" "GET /healthz without a token"
[ "$(json 'd["status"]')" = ok ] || fail "/healthz body: $(cat "$body")"
expect 401 "$(request GET /v1/datasets)" "GET /v1/datasets without the token"
grep -qi '^www-authenticate: *bearer' "$headers" || fail "401 without WWW-Authenticate: Bearer"

# A small deterministic two-class data set: points in the square, class 1 inside the circle
# of radius 0.6, with an ignored column (as the shared circle data has).
csv="$root/circle.csv"
awk 'BEGIN {
  srand(7); print "x,y,label,split"
  for (i = 0; i < 200; i++) {
    x = 2 * rand() - 1; y = 2 * rand() - 1
    printf "%.6f,%.6f,%d,%s\n", x, y, (x * x + y * y < 0.36) ? 1 : 0, (i % 10 ? "train" : "test")
  }
}' > "$csv"
expect 201 "$(api POST '/v1/datasets?name=circle&drop=split' -H 'Content-Type: text/csv' --data-binary "@$csv")" "POST /v1/datasets (CSV)"
dataset="$(json 'd["id"]')"
[ "$(json 'd["rows"]')" = 200 ] || fail "data set rows: $(cat "$body")"
[ "$(json 'd["target"]["kind"]')" = classes ] || fail "data set target: $(cat "$body")"
log "data set $dataset stored"

job_request="$(printf '{"model": {"input_shape": [2], "layers": [{"type": "dense", "units": 16, "activation": "relu"}, {"type": "dense", "units": 2}]}, "dataset": "%s", "validation": {"split": 0.1}, "loss": "cross_entropy", "optimizer": {"type": "adam", "learning_rate": 0.02}, "batch_size": 16, "epochs": 5, "seed": 1}' "$dataset")"
expect 202 "$(api POST /v1/jobs -H 'Content-Type: application/json' --data-binary "$job_request")" "POST /v1/jobs"
job="$(json 'd["id"]')"
model="$(json 'd["model_id"]')"
grep -qi "^location: */v1/jobs/$job" "$headers" || fail "202 without Location: /v1/jobs/$job"
log "job $job training model $model"

deadline=$((SECONDS + 120))
while :; do
  expect 200 "$(api GET "/v1/jobs/$job")" "GET /v1/jobs/$job"
  status="$(json 'd["status"]')"
  case "$status" in
    succeeded) break ;;
    failed | cancelled) fail "job ended $status: $(cat "$body")" ;;
  esac
  [ "$SECONDS" -lt "$deadline" ] || fail "job still $status after 120 s"
  sleep 0.5
done
log "job succeeded: epoch $(json 'd["epoch"]'), loss $(json 'd["latest"]["loss"]')"

expect 200 "$(api GET "/v1/jobs/$job/metrics")" "GET /v1/jobs/$job/metrics"
[ "$(json 'len(d["epochs"])')" = 5 ] || fail "metrics should list 5 epochs: $(head -c 600 "$body")"

expect 200 "$(api POST "/v1/models/$model/predict" -H 'Content-Type: application/json' \
  --data-binary '{"inputs": [[0.0, 0.0], [0.95, 0.95]]}')" "POST /v1/models/$model/predict"
[ "$(json 'len(d["outputs"])')" = 2 ] || fail "predict outputs: $(cat "$body")"
[ "$(json 'all(abs(sum(row) - 1) < 1e-3 for row in d["outputs"])')" = True ] || fail "outputs are not probabilities: $(cat "$body")"
log "predict: $(json 'd')"

expect 200 "$(request GET /metrics)" "GET /metrics"
grep -q '^nnserve_http_requests_total' "$body" || fail "/metrics lacks nnserve_http_requests_total"
expect 200 "$(request GET /openapi.yaml)" "GET /openapi.yaml"
cmp -s "$body" openapi.yaml || fail "/openapi.yaml differs from the repository's openapi.yaml"

# --- 5. Stop like `docker stop` ----------------------------------------------------------
log "SIGTERM"
kill -TERM "$server_pid"
stopped=""
for _ in $(seq 1 100); do
  if ! kill -0 "$server_pid" 2>/dev/null; then stopped=yes; break; fi
  sleep 0.1
done
[ -n "$stopped" ] || fail "nnserve still running 10 s after SIGTERM"
set +e
wait "$server_pid"
exit_status=$?
set -e
server_pid=""
[ "$exit_status" -eq 0 ] || fail "nnserve exited with status $exit_status after SIGTERM"
log "stopped cleanly (exit 0)"
log "PASSED"
