#!/usr/bin/env bash
# `make dev`: the whole system on this machine. DynamoDB Local on 127.0.0.1:8000 with its data
# in .local/dynamodb (kept across restarts), the table made from infra/template.yaml, and every
# function behind the local gateway on http://127.0.0.1:3000. Ctrl-C stops everything.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

DDB_PORT="${DDB_PORT:-8000}"
PORT="${PORT:-3000}"
need cargo "Install Rust with rustup (https://rustup.rs)."
install_dynamodb_local
mkdir -p "$STATE_DIR"

say "building the local gateway"
(cd "$ROOT" && cargo build --quiet -p local-gateway) || die "the build failed (see above)"
GATEWAY="$ROOT/target/debug/local-gateway"

(exec 3<>"/dev/tcp/127.0.0.1/$DDB_PORT") 2>/dev/null \
  && die "port $DDB_PORT is taken: stop what runs there, or run DDB_PORT=8001 make dev"
say "starting DynamoDB Local on 127.0.0.1:$DDB_PORT (data in $STATE_DIR/dynamodb)"
start_dynamodb "$DDB_PORT" "$STATE_DIR/dynamodb" "$STATE_DIR/dynamodb.log"
GW_PID=""
cleanup() {
  trap - INT TERM EXIT
  set +e # a killed child's exit status must not cut the cleanup short
  [ -n "$GW_PID" ] && kill "$GW_PID" 2>/dev/null && wait "$GW_PID" 2>/dev/null
  kill "$DDB_PID" 2>/dev/null && wait "$DDB_PID" 2>/dev/null
  say "stopped"
  exit 0
}
trap cleanup INT TERM EXIT

export DYNAMODB_ENDPOINT="http://127.0.0.1:$DDB_PORT" TABLE_NAME="${TABLE_NAME:-aftersales}"
export DEV_SECRET_FILE="$STATE_DIR/dev-secret"
cd "$ROOT"
"$GATEWAY" create-table >&2
cat >&2 <<MSG

  The after-sales back office is up on http://127.0.0.1:$PORT
  A token for any role (customer, agent, reviewer, manager, dispatcher, technician,
  warehouse, quality, finance, admin), optionally for a subject of your choice:

    make token ROLE=customer SUB=alice
    curl -H "Authorization: Bearer \$(make -s token ROLE=customer SUB=alice)" \\
         http://127.0.0.1:$PORT/v1/cases

  Ctrl-C stops the gateway and DynamoDB Local.

MSG
"$GATEWAY" serve --port "$PORT" &
GW_PID=$!
wait "$GW_PID"
