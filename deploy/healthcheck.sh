#!/usr/bin/env bash
# Container health check: GET /healthz on the server's own port and succeed on a 200.
# It uses bash's /dev/tcp so that the runtime image needs no curl or wget.
# Reads the same NN_HOST and NN_PORT as the server; a wildcard host is probed on loopback.
set -euo pipefail

host="${NN_HOST:-127.0.0.1}"
case "$host" in
  0.0.0.0 | "" ) host=127.0.0.1 ;;
  :: | "[::]" ) host=::1 ;;
esac
port="${NN_PORT:-8080}"

exec 3<>"/dev/tcp/${host}/${port}"
printf 'GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' >&3
IFS= read -r -t 5 status_line <&3
exec 3<&-
# The status line is "HTTP/1.1 200 OK" (RFC 9112 section 4).
[[ "$status_line" =~ ^HTTP/1\.[01]\ 200 ]]
