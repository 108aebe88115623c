#!/usr/bin/env bash
# `make dev`: the whole system on this machine. DynamoDB Local on 127.0.0.1:8000 with its data
# in .local/dynamodb (kept across restarts), the table made from infra/template.yaml, a local
# S3 for photos on 127.0.0.1:9014 (files in .local/s3), and every function behind the local
# gateway on http://127.0.0.1:3000. Ctrl-C stops everything.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

DDB_PORT="${DDB_PORT:-8000}"
PORT="${PORT:-3000}"
need cargo "Install Rust with rustup (https://rustup.rs)."
install_dynamodb_local
install_s3
mkdir -p "$STATE_DIR"
S3_PORT="${S3_PORT:-9014}"

build_admin_page
say "building the local gateway"
(cd "$ROOT" && cargo build --quiet -p local-gateway) || die "the build failed (see above)"
GATEWAY="$ROOT/target/debug/local-gateway"

(exec 3<>"/dev/tcp/127.0.0.1/$DDB_PORT") 2>/dev/null \
  && die "port $DDB_PORT is taken: stop what runs there, or run DDB_PORT=8001 make dev"
say "starting DynamoDB Local on 127.0.0.1:$DDB_PORT (data in $STATE_DIR/dynamodb)"
start_dynamodb "$DDB_PORT" "$STATE_DIR/dynamodb" "$STATE_DIR/dynamodb.log"
(exec 3<>"/dev/tcp/127.0.0.1/$S3_PORT") 2>/dev/null \
  && die "port $S3_PORT is taken: stop what runs there, or run S3_PORT=9015 make dev"
say "starting the local S3 on 127.0.0.1:$S3_PORT (photos in $STATE_DIR/s3)"
start_s3 "$S3_PORT" "$STATE_DIR/s3" "$STATE_DIR/s3.log"
GW_PID=""
cleanup() {
  trap - INT TERM EXIT
  set +e # a killed child's exit status must not cut the cleanup short
  [ -n "$GW_PID" ] && kill "$GW_PID" 2>/dev/null && wait "$GW_PID" 2>/dev/null
  kill "$DDB_PID" 2>/dev/null && wait "$DDB_PID" 2>/dev/null
  kill "$S3_PID" 2>/dev/null && wait "$S3_PID" 2>/dev/null
  say "stopped"
  exit 0
}
trap cleanup INT TERM EXIT

export DYNAMODB_ENDPOINT="http://127.0.0.1:$DDB_PORT" TABLE_NAME="${TABLE_NAME:-aftersales}"
export DEV_SECRET_FILE="$STATE_DIR/dev-secret"
# Storefronts to try webhooks with: made once with random secrets, kept across restarts.
export STOREFRONTS_FILE="${STOREFRONTS_FILE:-$STATE_DIR/storefronts.json}"
if [ ! -f "$STOREFRONTS_FILE" ]; then
  python3 - "$STOREFRONTS_FILE" <<'PY'
import base64, json, secrets, sys
json.dump([
    {"id": "shop", "kind": "shopify", "source": "dev-shop.myshopify.com", "secrets": [secrets.token_hex(24)]},
    {"id": "woo", "kind": "woocommerce", "source": "http://localhost:8080", "secrets": [secrets.token_hex(24)]},
    {"id": "erp", "kind": "generic", "secrets": ["whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()]},
], open(sys.argv[1], "w"), indent=2)
PY
fi
# The key that seals listing cursors: random, made once, kept across restarts.
export CURSOR_KEY_FILE="${CURSOR_KEY_FILE:-$STATE_DIR/cursor-key}"
[ -f "$CURSOR_KEY_FILE" ] || python3 -c 'import secrets; print(secrets.token_urlsafe(32))' >"$CURSOR_KEY_FILE"
cd "$ROOT"
"$GATEWAY" create-table >&2
cat >&2 <<MSG

  The after-sales back office is up on http://127.0.0.1:$PORT
  A token for any role (customer, agent, reviewer, manager, dispatcher, technician,
  warehouse, quality, finance, admin), optionally for a subject of your choice:

    make token ROLE=customer SUB=alice
    curl -H "Authorization: Bearer \$(make -s token ROLE=customer SUB=alice)" \\
         http://127.0.0.1:$PORT/v1/cases

  Storefront webhooks: POST /v1/webhooks/{shopify,woocommerce,generic}, signed with the
  secrets in $STOREFRONTS_FILE.

  Photos and videos: POST /v1/cases/{id}/uploads answers a presigned URL of the local S3
  on 127.0.0.1:$S3_PORT (s3s-fs, files in $STATE_DIR/s3).

  Ctrl-C stops the gateway, DynamoDB Local and the local S3.

MSG
"$GATEWAY" serve --port "$PORT" &
GW_PID=$!
wait "$GW_PID"
