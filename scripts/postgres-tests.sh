#!/usr/bin/env bash
# Runs the tests that need a real PostgreSQL server against a throwaway cluster:
# installs Debian's postgresql when it is missing, makes a cluster in a temporary directory
# owned by `postgres` (the server refuses to run as root), starts it on a free local port with
# its socket in that directory, creates a database and a user whose password needs
# percent-encoding in the URL, exports NN_TEST_DATABASE_URL, runs the PostgreSQL tests, and
# always stops the server and removes the directory (trap on EXIT).
# With --cluster it also runs scripts/postgres/cluster_proof.py (2 api + 2 worker processes).
# Needs `swift build -c release --build-tests`. Bounded: each stage has its own timeout.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .build/release/nnserve ] || { echo "postgres-tests: build first: swift build -c release --build-tests" >&2; exit 2; }

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
if [ -z "$(pg_bin)" ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    echo "postgres-tests: installing postgresql" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql libpq-dev >/dev/null
  else
    echo "postgres-tests: needs PostgreSQL 15 or newer: sudo apt-get install -y postgresql libpq-dev" >&2
    exit 2
  fi
fi
bin="$(pg_bin)"

# As root, the server's commands run as `postgres`; as anyone else, as that user.
if [ "$(id -u)" -eq 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/false postgres
  as_pg=(runuser -u postgres --)
else
  as_pg=()
fi

dir="$(mktemp -d /tmp/nnserve-pg.XXXXXX)"
cleanup() {
  "${as_pg[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
[ "$(id -u)" -eq 0 ] && chown postgres "$dir"
chmod 700 "$dir"

port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
password='p@ss:w/rd%1'
printf '%s\n' "$password" >"$dir/pwfile"
[ "$(id -u)" -eq 0 ] && chown postgres "$dir/pwfile"

start=$(date +%s)
# Socket connections are trusted (only this user can reach the 0700 directory); TCP needs the
# password, so the URL's user, password and percent-decoding are exercised for real.
timeout 60 "${as_pg[@]}" "$bin/initdb" -D "$dir/data" -U nn --pwfile="$dir/pwfile" --auth-local=trust \
  --auth-host=scram-sha-256 -E UTF8 --locale=C --no-sync >"$dir/initdb.log" 2>&1 ||
  { cat "$dir/initdb.log" >&2; exit 1; }
# fsync off: the cluster is thrown away after the run, so durability buys nothing here.
"${as_pg[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
  -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null ||
  { cat "$dir/server.log" >&2; exit 1; }
"${as_pg[@]}" "$bin/createdb" -h "$dir" -p "$port" -U nn nnserve_test
export NN_TEST_DATABASE_URL="postgres://nn:p%40ss%3Aw%2Frd%251@127.0.0.1:$port/nnserve_test"
echo "postgres: $("$bin/postgres" --version) on 127.0.0.1:$port, ready in $(($(date +%s) - start)) s"

status=0
set +e
timeout 300 swift test -c release --skip-build --filter 'PostgresStoreTests|PostgresServiceStoreTests|PostgresStorageContractTests|PostgresSweepContractTests' 2>&1 |
  grep -E "^postgres:|Test Case .*(passed|failed|skipped)|error:|Executed .* tests"
# grep hides the exit status of swift test; PIPESTATUS keeps it.
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
set -e

if [ "${1:-}" = "--cluster" ] && [ -f scripts/postgres/cluster_proof.py ]; then
  # A database of its own, so that the schema is created by the processes themselves.
  "${as_pg[@]}" "$bin/createdb" -h "$dir" -p "$port" -U nn nnserve_cluster
  timeout 600 python3 scripts/postgres/cluster_proof.py \
    --database-url "postgres://nn:p%40ss%3Aw%2Frd%251@127.0.0.1:$port/nnserve_cluster" \
    --nnserve .build/release/nnserve --psql "$bin/psql" || status=1
fi
echo "postgres: finished in $(($(date +%s) - start)) s, status $status"
exit "$status"
