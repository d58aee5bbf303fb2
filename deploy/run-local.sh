#!/usr/bin/env bash
# `make run`: sample sources + jobsched API + Dagster (webserver, daemon, code server) on this machine.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
: "${DAGSTER_HOME:?set by make run}" "${DAGSTER_PORT:=3000}" "${API_PORT:=8000}" "${SAMPLES_PORT:=8765}"
export JOBSCHED_SAMPLES_URL="${JOBSCHED_SAMPLES_URL:-http://127.0.0.1:${SAMPLES_PORT}}"

pids=()
# Background jobs of a script ignore SIGINT, so stop each service and its children explicitly.
cleanup() {
  for pid in "${pids[@]}"; do pkill -TERM -P "$pid" 2>/dev/null || true; kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

"$BIN/python" -m jobsched.samples.server --port "$SAMPLES_PORT" --root "${JOBSCHED_DATA_DIR:-.jobsched}/samples" &
pids+=($!)
"$BIN/jobsched" api --host 127.0.0.1 --port "$API_PORT" &
pids+=($!)
"$BIN/dagster" dev -w workspace.yaml -h 127.0.0.1 -p "$DAGSTER_PORT" &
pids+=($!)

cat <<MSG

  Dagster UI      http://127.0.0.1:${DAGSTER_PORT}
  jobsched API    http://127.0.0.1:${API_PORT}/docs   (calendar view: /schedules/<id>/calendar)
  sample sources  http://127.0.0.1:${SAMPLES_PORT}
  DAGSTER_HOME    ${DAGSTER_HOME}

MSG
wait -n "${pids[@]}"
