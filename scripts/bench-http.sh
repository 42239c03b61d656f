#!/usr/bin/env bash
# Load test of MicroHTTP against nginx on the same machine, same body, same wrk settings.
#
#   scripts/bench-http.sh [seconds per run] [rounds]      (defaults: 10 s, 2 rounds)
#
# Needs wrk and nginx (apt-get install -y wrk nginx-light). Both servers bind 127.0.0.1:
# http-echo-bench on BENCH_PORT (18081), nginx with scripts/bench-nginx.conf and 2 workers on
# NGINX_PORT (18082). Each server gets a keep-alive run with 2 threads and 64 connections, then
# a single-connection run for latency. Every run is bounded by the duration. Rounds alternate
# between the two servers and the best round of each is reported, so that load from other
# processes on a shared machine penalises neither server more than the other.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-10}"
rounds="${2:-2}"
ours_port="${BENCH_PORT:-18081}"
nginx_port="${NGINX_PORT:-18082}"
for tool in wrk nginx; do
  command -v "$tool" >/dev/null || { echo "needs $tool: apt-get install -y wrk nginx-light" >&2; exit 1; }
done

swift build -c release --product http-echo-bench >/dev/null
work="$(mktemp -d)"
ours_pid=""
nginx_pid=""
cleanup() {
  [ -n "$ours_pid" ] && kill "$ours_pid" 2>/dev/null || true
  [ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

.build/release/http-echo-bench "$ours_port" 2>"$work/ours.log" &
ours_pid=$!
sed -e "s|@PORT@|$nginx_port|g" -e "s|@DIR@|$work|g" scripts/bench-nginx.conf >"$work/nginx.conf"
nginx -c "$work/nginx.conf" -p "$work" 2>"$work/nginx.stderr" &
nginx_pid=$!

wait_for() {
  for _ in $(seq 1 50); do
    curl -fsS "http://127.0.0.1:$1/ping" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "server on port $1 did not start" >&2
  exit 1
}
wait_for "$ours_port"
wait_for "$nginx_port"

# Prints "requests/s p50 p99" from wrk --latency output (latencies in microseconds).
summarize() {
  awk '
    function us(v) { if (v ~ /us$/) return v + 0; if (v ~ /ms$/) return v * 1000; if (v ~ /s$/) return v * 1000000; return v }
    /Requests\/sec/ { rps = $2 }
    $1 == "50%" { p50 = us($2) }
    $1 == "99%" { p99 = us($2) }
    /Socket errors|Non-2xx/ { errors = errors " [" $0 "]" }
    END { printf "%.0f %.0f %.0f%s\n", rps, p50, p99, errors }'
}

run() { # name port threads connections
  wrk -t"$3" -c"$4" -d"${seconds}s" --latency "http://127.0.0.1:$2/ping" | tee "$work/$1.txt" | summarize
}

echo "warming up" >&2
wrk -t2 -c64 -d1s "http://127.0.0.1:$ours_port/ping" >/dev/null
wrk -t2 -c64 -d1s "http://127.0.0.1:$nginx_port/ping" >/dev/null

# best(file, column, max|min): the best value of a column over the rounds.
best() { sort -n -k"$2" "$1" | awk -v c="$2" -v how="$3" 'NR == 1 { first = $c } { last = $c } END { print (how == "max" ? last : first) }'; }

for round in $(seq 1 "$rounds"); do
  echo "round $round of $rounds" >&2
  run ours-64 "$ours_port" 2 64 >>"$work/ours-64.rows"
  run nginx-64 "$nginx_port" 2 64 >>"$work/nginx-64.rows"
  run ours-1 "$ours_port" 1 1 >>"$work/ours-1.rows"
  run nginx-1 "$nginx_port" 1 1 >>"$work/nginx-1.rows"
done
for name in ours-64 nginx-64 ours-1 nginx-1; do
  sed "s/^/$name: /" "$work/$name.rows" >&2
done

ours_rps=$(best "$work/ours-64.rows" 1 max); nginx_rps=$(best "$work/nginx-64.rows" 1 max)
ours_p50=$(best "$work/ours-64.rows" 2 min); nginx_p50=$(best "$work/nginx-64.rows" 2 min)
ours_p99=$(best "$work/ours-64.rows" 3 min); nginx_p99=$(best "$work/nginx-64.rows" 3 min)
ours1_rps=$(best "$work/ours-1.rows" 1 max); nginx1_rps=$(best "$work/nginx-1.rows" 1 max)
ours1_p50=$(best "$work/ours-1.rows" 2 min); nginx1_p50=$(best "$work/nginx-1.rows" 2 min)
ours1_p99=$(best "$work/ours-1.rows" 3 min); nginx1_p99=$(best "$work/nginx-1.rows" 3 min)

printf '\n%-22s %12s %12s %12s\n' "GET /ping, best of $rounds" "MicroHTTP" "nginx" "ratio"
printf '%-22s %12s %12s %11s%%\n' "req/s (2 thr, 64 conn)" "$ours_rps" "$nginx_rps" "$(awk -v a="$ours_rps" -v b="$nginx_rps" 'BEGIN { printf "%.0f", 100 * a / b }')"
printf '%-22s %10sus %10sus\n' "p50 (64 conn)" "$ours_p50" "$nginx_p50"
printf '%-22s %10sus %10sus\n' "p99 (64 conn)" "$ours_p99" "$nginx_p99"
printf '%-22s %12s %12s\n' "req/s (1 conn)" "$ours1_rps" "$nginx1_rps"
printf '%-22s %10sus %10sus\n' "p50 (1 conn)" "$ours1_p50" "$nginx1_p50"
printf '%-22s %10sus %10sus\n' "p99 (1 conn)" "$ours1_p99" "$nginx1_p99"
if grep -q "\[" "$work"/*.rows; then echo "errors reported by wrk:"; grep -h "\[" "$work"/*.rows; fi
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "targets: MicroHTTP >= 60% of nginx req/s at 64 connections; single-connection p50 < 100us"
