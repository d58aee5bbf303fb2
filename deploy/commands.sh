#!/bin/sh
# The one place each process's command lives. deploy/docker-compose.yaml, deploy/helm/jobsched-api.yaml and the
# topology test (jobsched_tests/deploy/test_topology.py) all run `deploy/commands.sh <role>`.
#   roles: migrate | code | webserver | daemon | api        health checks: deploy/commands.sh health <role>
# Settings (environment): BIND_HOST (0.0.0.0), DAGSTER_CODE_HOST (code) and DAGSTER_CODE_PORT (4000) for the
# gRPC code server, WEBSERVER_PORT (3000), API_PORT (8000), DAGSTER_WORKSPACE (deploy/workspace.grpc.yaml).
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
HOST="${BIND_HOST:-0.0.0.0}"
WORKSPACE="${DAGSTER_WORKSPACE:-$HERE/workspace.grpc.yaml}"
export DAGSTER_CODE_HOST="${DAGSTER_CODE_HOST:-code}" DAGSTER_CODE_PORT="${DAGSTER_CODE_PORT:-4000}"

http_ok() {  # exit 0 when the URL answers 2xx
  python -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=5)' "$1"
}

role="${1:-}"
case "$role" in
  migrate)    # one-shot, before everything else: Dagster's storage and jobsched's tables, idempotent
    exec jobsched db upgrade --dagster ;;
  code)       # the gRPC code server webservers and the daemon load jobsched from (replicas behind a Service)
    exec dagster code-server start -h "$HOST" -p "$DAGSTER_CODE_PORT" -m jobsched.definitions \
      --location-name jobsched ;;
  webserver)  # stateless UI/GraphQL; scale freely
    exec dagster-webserver -h "$HOST" -p "${WEBSERVER_PORT:-3000}" -w "$WORKSPACE" ;;
  daemon)     # EXACTLY ONE per instance
    exec dagster-daemon run -w "$WORKSPACE" ;;
  api)        # jobsched's HTTP API; stateless, scale freely
    exec jobsched api --host "$HOST" --port "${API_PORT:-8000}" ;;
  health)
    case "${2:-${JOBSCHED_ROLE:-code}}" in
      code)      exec dagster api grpc-health-check -h 127.0.0.1 -p "$DAGSTER_CODE_PORT" ;;
      webserver) http_ok "http://127.0.0.1:${WEBSERVER_PORT:-3000}/server_info" ;;
      daemon)    exec dagster-daemon liveness-check ;;
      api)       http_ok "http://127.0.0.1:${API_PORT:-8000}/ready" ;;
      migrate)   exit 0 ;;
      *) echo "commands.sh health: unknown role '${2:-}'" >&2; exit 2 ;;
    esac ;;
  *)
    echo "usage: commands.sh migrate|code|webserver|daemon|api, or commands.sh health <role>" >&2
    exit 2 ;;
esac
