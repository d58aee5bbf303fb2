#!/usr/bin/env bash
# `make run`: sample sources + jobsched API + Dagster (webserver, daemon; each starts its code server) on
# this machine. One Ctrl-C (SIGINT) or SIGTERM stops everything within a few seconds; runs in flight are
# canceled first (ledger outcome `canceled`, tag jobsched/stopped_by=shutdown), queued runs stay queued.
# State (SQLite files, Dagster instance, API token) survives: the next `make run` resumes from it.
set -euo pipefail
# Job control: every service gets its own process group, and (unlike plain background jobs of a script)
# does not start with SIGINT ignored. Stopping a service = signalling its whole group.
set -m
cd "$(dirname "$0")/.."
BIN=.venv/bin
: "${DAGSTER_HOME:=$PWD/.dagster_home}" "${JOBSCHED_DATA_DIR:=$PWD/.jobsched}"
: "${DAGSTER_PORT:=3000}" "${API_PORT:=8000}" "${SAMPLES_PORT:=8765}" "${JOBSCHED_LOG_LEVEL:=info}"
export DAGSTER_HOME JOBSCHED_DATA_DIR
export JOBSCHED_DAGSTER_URL="${JOBSCHED_DAGSTER_URL:-http://127.0.0.1:${DAGSTER_PORT}}"
export JOBSCHED_SAMPLES_URL="${JOBSCHED_SAMPLES_URL:-http://127.0.0.1:${SAMPLES_PORT}}"
: "${SFTP_PORT:=8722}" "${S3_PORT:=8766}"
DATA_DIR="$JOBSCHED_DATA_DIR"
export JOBSCHED_SFTP_PORT="$SFTP_PORT" JOBSCHED_S3_URL="${JOBSCHED_S3_URL:-http://127.0.0.1:${S3_PORT}}"
# Demo secrets of the local sources; the job definitions name these variables, never their values.
export JOBSCHED_SFTP_PASSWORD="${JOBSCHED_SFTP_PASSWORD:-demo-sftp-password}"
export JOBSCHED_S3_ACCESS_KEY="${JOBSCHED_S3_ACCESS_KEY:-demo-access-key}"
export JOBSCHED_S3_SECRET_KEY="${JOBSCHED_S3_SECRET_KEY:-demo-secret-key}"
export JOBSCHED_FUND_NAV_CLIENT_ID="${JOBSCHED_FUND_NAV_CLIENT_ID:-jobsched-demo}"
export JOBSCHED_FUND_NAV_CLIENT_SECRET="${JOBSCHED_FUND_NAV_CLIENT_SECRET:-demo-secret}"
export JOBSCHED_SAMPLES_OAUTH_CLIENT="${JOBSCHED_FUND_NAV_CLIENT_ID}:${JOBSCHED_FUND_NAV_CLIENT_SECRET}"

mkdir -p "$DAGSTER_HOME" "$JOBSCHED_DATA_DIR"
cp dagster.yaml "$DAGSTER_HOME/dagster.yaml"
"$BIN/jobsched" db upgrade
"$BIN/jobsched" seed

# The API token: created once, readable by its owner only, reused by every later start.
TOKEN_FILE="$JOBSCHED_DATA_DIR/api-token"
if [ ! -s "$TOKEN_FILE" ]; then
  (umask 077 && "$BIN/python" -c 'import secrets; print(secrets.token_urlsafe(32))' >"$TOKEN_FILE")
fi
chmod 600 "$TOKEN_FILE"
export JOBSCHED_API_TOKEN="${JOBSCHED_API_TOKEN:-$(cat "$TOKEN_FILE")}"

in_flight() {
  local db="$DAGSTER_HOME/history/runs.db"
  [ -f "$db" ] || return 0  # another run storage: let the helper look
  local rc=0
  "$BIN/python" - "$db" <<'PY' 2>/dev/null || rc=$?
import sqlite3, sys
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True, timeout=2)
busy = db.execute("SELECT count(*) FROM runs WHERE status IN ('STARTING', 'STARTED', 'CANCELING')").fetchone()[0]
sys.exit(0 if busy else 1)
PY
  [ "$rc" != 1 ]  # 0: runs in flight; 1: none; anything else: could not tell, so look properly
}

# wait_gone SECONDS PID...: until none of the processes (or -PGID groups) is left, or SECONDS (counted
# from the start of the stop) have passed. The whole stop stays within about 8 s, also on a loaded machine.
now_us() { echo "${EPOCHREALTIME/./}"; }
wait_gone() {
  local until_us=$((stop_started + $1 * 1000000)) target alive
  shift
  while [ "$(now_us)" -lt "$until_us" ]; do
    alive=0
    for target in "$@"; do kill -0 -- "$target" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && return 0
    sleep 0.05
  done
}

pids=()
agent=""
stopping=0
stop_started=0
stop() {
  [ "$stopping" = 1 ] && return
  stopping=1
  stop_started=$(now_us)
  trap '' INT TERM
  echo "jobsched: stopping (runs in flight are canceled, queued runs stay queued) ..."
  # Cancel in-flight runs while the daemon's code server can still pass the request on: the stop agent has
  # Dagster loaded already (a fresh import takes seconds); first ask the run storage whether there is any.
  if in_flight; then
    if [ -n "$agent" ] && kill -USR1 "$agent" 2>/dev/null; then
      wait_gone 3 "$agent"
    else
      timeout -s KILL 4 "$BIN/python" -m jobsched.defs.shutdown --timeout 1 || true
    fi
  fi
  # The services themselves first (the daemon then stops its code server cleanly), then what is left.
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait_gone 7 "${pids[@]}"
  for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  wait_gone 8 "${pids[@]/#/-}"
  for pid in "${pids[@]}" $agent; do kill -KILL -- "-$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap 'stop; exit 130' INT
trap 'stop; exit 143' TERM
trap stop EXIT

# The stop agent (see stop) also initialises Dagster's storage before anything else opens it.
ready="$DAGSTER_HOME/.stop-agent-ready"
rm -f "$ready"
"$BIN/python" -m jobsched.defs.shutdown --on-sigusr1 --timeout 1 --ready-file "$ready" &
agent=$!
for _ in $(seq 1 1200); do [ -f "$ready" ] || ! kill -0 "$agent" 2>/dev/null && break; sleep 0.1; done
"$BIN/python" -m jobsched.samples.server --port "$SAMPLES_PORT" --root "$JOBSCHED_DATA_DIR/samples" &
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
"$BIN/dagster-webserver" -w workspace.yaml -h 127.0.0.1 -p "$DAGSTER_PORT" --log-level warning \
  --dagster-log-level "$JOBSCHED_LOG_LEVEL" &
pids+=($!)
"$BIN/python" -m jobsched.defs.daemon run -w workspace.yaml --log-level "$JOBSCHED_LOG_LEVEL" &
pids+=($!)

set +m  # the groups exist; no job-control notices ("[1] Terminated ...") on the way out

cat <<MSG

  Dagster UI      http://127.0.0.1:${DAGSTER_PORT}
  jobsched API    http://127.0.0.1:${API_PORT}/   (schedules; API docs at /docs)
  sample sources  http://127.0.0.1:${SAMPLES_PORT}   sftp://custody@127.0.0.1:${SFTP_PORT}   s3 ${JOBSCHED_S3_URL}
  API token       ${JOBSCHED_API_TOKEN}   (kept in ${TOKEN_FILE})
  README examples in another shell:
                  cd $PWD && source .venv/bin/activate && export DAGSTER_HOME=$DAGSTER_HOME
                  export JOBSCHED_API_TOKEN=\$(cat $TOKEN_FILE)
  state           $JOBSCHED_DATA_DIR (jobsched), $DAGSTER_HOME (Dagster); reset: make clean
  stop            Ctrl-C

MSG
set +e
wait -n "${pids[@]}"
echo "jobsched: a service exited on its own; stopping the others"
