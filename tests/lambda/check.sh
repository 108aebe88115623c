#!/usr/bin/env bash
# The real intake Lambda binary, run by cargo-lambda's runtime emulator and invoked with API
# Gateway HTTP API (v2) events carrying JWT authorizer claims (tests/fixtures/apigw/).
# Needs DYNAMODB_ENDPOINT (test.sh starts DynamoDB Local) and cargo-lambda on PATH.
set -euo pipefail
source "$(dirname "$0")/../../infra/local/lib.sh"
[ -n "${DYNAMODB_ENDPOINT:-}" ] || die "DYNAMODB_ENDPOINT is not set: run this through 'make test'"
need cargo-lambda "Run 'make test', which installs it into .venv."

FIX="$ROOT/tests/fixtures/apigw"
WORK=$(mktemp -d)
TABLE="lambda-check-$$"
PORT=$(free_port)
cd "$ROOT"
cargo build --quiet -p intake -p returns -p timers -p local-gateway
TABLE_NAME="$TABLE" ./target/debug/local-gateway create-table >&2

# The storefront the webhook event is signed for.
SHOP_SECRET="lambda-check-$$-secret"
printf '[{"id": "main", "kind": "shopify", "source": "jsmith.myshopify.com", "secrets": ["%s"]}]' \
  "$SHOP_SECRET" >"$WORK/storefronts.json"

cargo lambda watch --quiet --ignore-changes --invoke-address 127.0.0.1 --invoke-port "$PORT" \
  --env-var "STOREFRONTS_FILE=$WORK/storefronts.json" \
  --env-var "TABLE_NAME=$TABLE,DYNAMODB_ENDPOINT=$DYNAMODB_ENDPOINT,AWS_ACCESS_KEY_ID=local,AWS_SECRET_ACCESS_KEY=local,AWS_REGION=us-east-1,RUST_LOG=warn" \
  --env-var "CURSOR_KEY=lambda-check-$$-cursor-key-of-at-least-32-chars" \
  >"$WORK/watch.log" 2>&1 &
WATCH=$!
trap 'kill $WATCH 2>/dev/null || true; wait $WATCH 2>/dev/null || true; rm -rf "$WORK"' EXIT
wait_for_port "$PORT" 120 "cargo lambda watch (log: $WORK/watch.log)"

invoke() { # fixture-file [function] -> prints the function's JSON answer
  cargo lambda invoke "${2:-intake}" --invoke-address 127.0.0.1 --invoke-port "$PORT" \
    --output-format json --data-file "$1" 2>>"$WORK/invoke.log" \
    || { cat "$WORK/invoke.log" "$WORK/watch.log" >&2; die "cargo lambda invoke failed for $1"; }
}

invoke "$FIX/post-case-customer.json" >"$WORK/created.json"
CASE_ID=$(python3 "$ROOT/tests/lambda/assert.py" created "$WORK/created.json")
for f in get-case-customer get-case-other-customer list-cases-agent; do
  sed "s/CASE_ID/$CASE_ID/g" "$FIX/$f.json" >"$WORK/$f.json"
  invoke "$WORK/$f.json" >"$WORK/$f.out.json"
  python3 "$ROOT/tests/lambda/assert.py" "$f" "$WORK/$f.out.json" "$CASE_ID"
done
# A storefront webhook: no authorizer, the body signed with the storefront's secret.
python3 - "$FIX/shopify-webhook.json" "$SHOP_SECRET" >"$WORK/webhook.json" <<'PY'
import base64, hashlib, hmac, json, sys
event = json.load(open(sys.argv[1]))
mac = hmac.new(sys.argv[2].encode(), event["body"].encode(), hashlib.sha256).digest()
event["headers"]["x-shopify-hmac-sha256"] = base64.b64encode(mac).decode()
json.dump(event, sys.stdout)
PY
invoke "$WORK/webhook.json" >"$WORK/webhook.out.json"
python3 "$ROOT/tests/lambda/assert.py" webhook "$WORK/webhook.out.json"
sed 's/"x-shopify-hmac-sha256": "SIGNATURE"/"x-shopify-hmac-sha256": "bm90IHRoZSBzaWduYXR1cmUgb2YgdGhpcyBib2R5ISE="/' \
  "$FIX/shopify-webhook.json" >"$WORK/webhook-forged.json"
invoke "$WORK/webhook-forged.json" >"$WORK/webhook-forged.out.json"
python3 "$ROOT/tests/lambda/assert.py" webhook-forged "$WORK/webhook-forged.out.json"
# Return approval: a customer's refund request through intake, an agent's decision through the
# returns binary, and a scheduled run of the timers binary.
invoke "$FIX/post-return-case-customer.json" >"$WORK/return.json"
RETURN_ID=$(python3 "$ROOT/tests/lambda/assert.py" created-return "$WORK/return.json")
sed "s/CASE_ID/$RETURN_ID/g" "$FIX/approve-return-agent.json" >"$WORK/approve.json"
invoke "$WORK/approve.json" returns >"$WORK/approve.out.json"
python3 "$ROOT/tests/lambda/assert.py" approved "$WORK/approve.out.json"
invoke "$ROOT/tests/fixtures/eventbridge/scheduled.json" timers >"$WORK/timers.out.json"
python3 "$ROOT/tests/lambda/assert.py" timers "$WORK/timers.out.json"
echo "lambda: 9 passed, 0 failed"
