#!/usr/bin/env bash
# `make run`: sample sources + jobsched API + Dagster (webserver, daemon, code server) on this machine.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
: "${DAGSTER_HOME:?set by make run}" "${DAGSTER_PORT:=3000}" "${API_PORT:=8000}" "${SAMPLES_PORT:=8765}"
: "${SFTP_PORT:=8722}" "${S3_PORT:=8766}"
DATA_DIR="${JOBSCHED_DATA_DIR:-.jobsched}"
export JOBSCHED_SAMPLES_URL="${JOBSCHED_SAMPLES_URL:-http://127.0.0.1:${SAMPLES_PORT}}"
export JOBSCHED_SFTP_PORT="$SFTP_PORT" JOBSCHED_S3_URL="${JOBSCHED_S3_URL:-http://127.0.0.1:${S3_PORT}}"
# Demo secrets of the local sources; the job definitions name these variables, never their values.
export JOBSCHED_SFTP_PASSWORD="${JOBSCHED_SFTP_PASSWORD:-demo-sftp-password}"
export JOBSCHED_S3_ACCESS_KEY="${JOBSCHED_S3_ACCESS_KEY:-demo-access-key}"
export JOBSCHED_S3_SECRET_KEY="${JOBSCHED_S3_SECRET_KEY:-demo-secret-key}"
export JOBSCHED_FUND_NAV_CLIENT_ID="${JOBSCHED_FUND_NAV_CLIENT_ID:-jobsched-demo}"
export JOBSCHED_FUND_NAV_CLIENT_SECRET="${JOBSCHED_FUND_NAV_CLIENT_SECRET:-demo-secret}"
export JOBSCHED_SAMPLES_OAUTH_CLIENT="${JOBSCHED_FUND_NAV_CLIENT_ID}:${JOBSCHED_FUND_NAV_CLIENT_SECRET}"

pids=()
# Background jobs of a script ignore SIGINT, so stop each service and its children explicitly.
cleanup() {
  for pid in "${pids[@]}"; do pkill -TERM -P "$pid" 2>/dev/null || true; kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

"$BIN/python" -m jobsched.samples.server --port "$SAMPLES_PORT" --root "$DATA_DIR/samples" &
pids+=($!)
# The desk feeds' sources: an SFTP server over $DATA_DIR/sftp (seeded by the sample server's start) with
# password and key login, and moto's S3-compatible server seeded with index constituents.
"$BIN/python" -m jobsched.samples.sftp_server --port "$SFTP_PORT" --root "$DATA_DIR/sftp" --user custody \
  --password-env JOBSCHED_SFTP_PASSWORD --demo-client-key "$DATA_DIR/sftp_client_key" \
  --host-key "$DATA_DIR/sftp_host_key" --known-hosts-out "$DATA_DIR/sftp_known_hosts" &
pids+=($!)
"$BIN/moto_server" -H 127.0.0.1 -p "$S3_PORT" >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
  "$BIN/python" -m jobsched.samples.object_store --endpoint "$JOBSCHED_S3_URL" 2>/dev/null && break
  sleep 0.3
done
"$BIN/jobsched" api --host 127.0.0.1 --port "$API_PORT" &
pids+=($!)
"$BIN/dagster" dev -w workspace.yaml -h 127.0.0.1 -p "$DAGSTER_PORT" &
pids+=($!)

cat <<MSG

  Dagster UI      http://127.0.0.1:${DAGSTER_PORT}
  jobsched API    http://127.0.0.1:${API_PORT}/docs   (calendar view: /schedules/<id>/calendar)
  sample sources  http://127.0.0.1:${SAMPLES_PORT}   sftp://custody@127.0.0.1:${SFTP_PORT}   s3 ${JOBSCHED_S3_URL}
  DAGSTER_HOME    ${DAGSTER_HOME}

MSG
wait -n "${pids[@]}"
