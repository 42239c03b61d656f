#!/usr/bin/env bash
# Measures predictions over HTTP with wrk, on the release build of nnserve:
#   1. one keep-alive connection (p50 latency),
#   2. 16 connections (req/s),
#   3. the load test: 50 concurrent clients for 10 s while a training job runs (errors, req/s,
#      p50/p99).
# The model is W1 of docs/BENCHMARKS.md (784 → 256 relu → 128 relu → 10); each request
# posts one 784-value row (about 7.9 KB of JSON). Every run is bounded in time.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${DURATION:-10}
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install -y wrk" >&2; exit 1; }
swift build -c release --product nnserve >/dev/null
work=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf "$work"' EXIT
NN_LOG_LEVEL=warn .build/release/nnserve --port 0 --data-dir "$work/data" 2>"$work/server.log" &
server=$!
for _ in $(seq 100); do grep -q "listening on" "$work/server.log" && break; sleep 0.1; done
port=$(grep -o 'listening on [0-9.]*:[0-9]*' "$work/server.log" | grep -o '[0-9]*$')
base="http://127.0.0.1:$port"

python3 - "$work" <<'PY'
import json, random, sys
random.seed(0)
work = sys.argv[1]
rows = [[round(random.gauss(0, 1), 4) for _ in range(784)] for _ in range(256)]
json.dump({"name": "w1", "inputs": rows, "targets": [random.randrange(10) for _ in rows]}, open(f"{work}/dataset.json", "w"))
json.dump({"inputs": [rows[0]]}, open(f"{work}/predict.json", "w"))
PY
dataset=$(curl -sf -X POST "$base/v1/datasets" -H 'Content-Type: application/json' --data-binary @"$work/dataset.json" | python3 -c 'import sys,json; print(json.load(sys.stdin)["id"])')
job_body() {
  echo "{\"model\": {\"input_shape\": [784], \"layers\": [{\"type\": \"dense\", \"units\": 256, \"activation\": \"relu\"}, {\"type\": \"dense\", \"units\": 128, \"activation\": \"relu\"}, {\"type\": \"dense\", \"units\": 10}]}, \"dataset\": \"$dataset\", \"loss\": \"cross_entropy\", \"optimizer\": {\"type\": \"sgd\", \"learning_rate\": 0.05, \"momentum\": 0.9}, \"batch_size\": 64, \"epochs\": $1}"
}
job=$(curl -sf -X POST "$base/v1/jobs" -H 'Content-Type: application/json' -d "$(job_body 1)" | python3 -c 'import sys,json; print(json.load(sys.stdin)["id"])')
for _ in $(seq 200); do
  status=$(curl -sf "$base/v1/jobs/$job" | python3 -c 'import sys,json; print(json.load(sys.stdin)["status"])')
  [ "$status" = succeeded ] && break; sleep 0.1
done
model=$(curl -sf "$base/v1/jobs/$job" | python3 -c 'import sys,json; print(json.load(sys.stdin)["model_id"])')
echo "body bytes: $(wc -c < "$work/predict.json")"

cat > "$work/predict.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = io.open("$work/predict.json", "rb"); wrk.body = f:read("*a"); f:close()
local errors = 0
response = function(status) if status ~= 200 then errors = errors + 1 end end
done = function(summary, latency, requests)
  io.write(string.format("non-2xx-or-socket-errors: %d\n", summary.errors.status + summary.errors.connect
    + summary.errors.read + summary.errors.write + summary.errors.timeout))
  io.write(string.format("p50_us: %.0f  p99_us: %.0f  req_per_s: %.0f\n", latency:percentile(50),
    latency:percentile(99), summary.requests / (summary.duration / 1e6)))
end
LUA
url="$base/v1/models/$model/predict"
echo "== one connection, keep-alive, ${duration}s"
wrk -t1 -c1 -d"${duration}s" --latency -s "$work/predict.lua" "$url" | grep -E 'Requests/sec|non-2xx|p50_us'
echo "== 16 connections, 2 threads, ${duration}s"
wrk -t2 -c16 -d"${duration}s" --latency -s "$work/predict.lua" "$url" | grep -E 'Requests/sec|non-2xx|p50_us'
echo "== load: 50 clients for ${duration}s while a job trains"
train=$(curl -sf -X POST "$base/v1/jobs" -H 'Content-Type: application/json' -d "$(job_body 100000)" | python3 -c 'import sys,json; print(json.load(sys.stdin)["id"])')
sleep 0.5
wrk -t2 -c50 -d"${duration}s" --latency -s "$work/predict.lua" "$url" | grep -E 'Requests/sec|non-2xx|p50_us'
echo "training job during the load: $(curl -sf "$base/v1/jobs/$train" | python3 -c 'import sys,json; j=json.load(sys.stdin); print(j["status"], "epoch", j["epoch"])')"
curl -sf -X POST "$base/v1/jobs/$train/cancel" >/dev/null
