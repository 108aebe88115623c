#!/usr/bin/env bash
# The run command itself: `infra/local/dev.sh` (make dev) brings the stack up, a customer files
# a case through the gateway, stopping it stops everything it started, and after a restart the
# case is still there (DynamoDB Local keeps its data on disk).
set -euo pipefail
source "$(dirname "$0")/../../infra/local/lib.sh"

export AFTERSALES_STATE_DIR
AFTERSALES_STATE_DIR=$(mktemp -d)
export DDB_PORT PORT S3_PORT
DDB_PORT=$(free_port)
PORT=$(free_port)
S3_PORT=$(free_port)
LOG="$AFTERSALES_STATE_DIR/dev.log"
DEV=""
trap '{ [ -n "$DEV" ] && kill -TERM $DEV; wait; } 2>/dev/null || true; rm -rf "$AFTERSALES_STATE_DIR"' EXIT

start() {
  "$ROOT/infra/local/dev.sh" >>"$LOG" 2>&1 &
  DEV=$!
  wait_for_port "$PORT" 180 "make dev (log: $LOG)"
}
stop() { # as Ctrl-C would: the script stops the gateway and DynamoDB Local it started
  kill -TERM "$DEV"
  wait "$DEV" || true
  DEV=""
  for p in "$PORT" "$DDB_PORT" "$S3_PORT"; do
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && die "port $p still answers after stopping make dev"
  done
  return 0
}
fail() { echo "--- dev log" >&2; cat "$LOG" >&2; die "$*"; }

start
TOKEN=$(DEV_SECRET_FILE="$AFTERSALES_STATE_DIR/dev-secret" "$ROOT/target/debug/local-gateway" token customer alice)
BODY='{"type":"complaint","description":"Nobody called me back."}'
CREATED=$(curl -sS -X POST "http://127.0.0.1:$PORT/v1/cases" -H "Authorization: Bearer $TOKEN" \
  -H 'Content-Type: application/json' -d "$BODY" -w '\n%{http_code}')
[ "$(tail -n1 <<<"$CREATED")" = 201 ] || fail "filing answered: $CREATED"
ID=$(head -n1 <<<"$CREATED" | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')
stop

start
READ=$(curl -sS "http://127.0.0.1:$PORT/v1/cases/$ID" -H "Authorization: Bearer $TOKEN" -w '\n%{http_code}')
[ "$(tail -n1 <<<"$READ")" = 200 ] || fail "after a restart, reading $ID answered: $READ"
head -n1 <<<"$READ" | python3 -c "import json, sys; c = json.load(sys.stdin); assert c['id'] == '$ID' and c['timeline'][0]['type'] == 'filed', c"
stop
echo "stack: 1 passed, 0 failed"
