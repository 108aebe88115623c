#!/usr/bin/env bash
# The real Lambda binaries, run by cargo-lambda's runtime emulator: intake, returns,
# dispatch, feedback, storefronts and policy invoked
# with API Gateway HTTP API (v2) events carrying JWT authorizer claims (tests/fixtures/apigw/),
# timers with a scheduled event, and the identity trigger with Cognito's pre-token-generation
# events against moto's Cognito stand-in (tests/fixtures/cognito/).
# Needs DYNAMODB_ENDPOINT (test.sh starts DynamoDB Local), cargo-lambda and moto on PATH.
set -euo pipefail
source "$(dirname "$0")/../../infra/local/lib.sh"
[ -n "${DYNAMODB_ENDPOINT:-}" ] || die "DYNAMODB_ENDPOINT is not set: run this through 'make test'"
need cargo-lambda "Run 'make test', which installs it into .venv."
need moto_server "Run 'make test', which installs it into .venv."

FIX="$ROOT/tests/fixtures/apigw"
WORK=$(mktemp -d)
TABLE="lambda-check-$$"
PORT=$(free_port)
cd "$ROOT"
cargo build --quiet -p intake -p returns -p dispatch -p feedback -p storefronts -p policy -p timers -p identity -p admin -p local-gateway
TABLE_NAME="$TABLE" ./target/debug/local-gateway create-table >&2

# The storefront the webhook event is signed for.
SHOP_SECRET="lambda-check-$$-secret"
printf '[{"id": "main", "kind": "shopify", "source": "jsmith.myshopify.com", "secrets": ["%s"]}]' \
  "$SHOP_SECRET" >"$WORK/storefronts.json"

# Cognito for the identity trigger: moto's stand-in, with a pool and its users.
MOTO_PORT=$(free_port)
moto_server -H 127.0.0.1 -p "$MOTO_PORT" >"$WORK/moto.log" 2>&1 &
MOTO=$!
wait_for_port "$MOTO_PORT" 60 "moto_server (log: $WORK/moto.log)"
python "$ROOT/tests/lambda/cognito.py" "http://127.0.0.1:$MOTO_PORT" "$WORK" \
  "$ROOT/tests/fixtures/cognito/pre-token-generation.json"

cargo lambda watch --quiet --ignore-changes --invoke-address 127.0.0.1 --invoke-port "$PORT" \
  --env-var "STOREFRONTS_FILE=$WORK/storefronts.json" \
  --env-var "TABLE_NAME=$TABLE,DYNAMODB_ENDPOINT=$DYNAMODB_ENDPOINT,AWS_ACCESS_KEY_ID=local,AWS_SECRET_ACCESS_KEY=local,AWS_REGION=us-east-1,RUST_LOG=warn" \
  --env-var "CURSOR_KEY=lambda-check-$$-cursor-key-of-at-least-32-chars" \
  --env-var "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER=http://127.0.0.1:$MOTO_PORT" \
  >"$WORK/watch.log" 2>&1 &
WATCH=$!
trap 'kill $WATCH $MOTO 2>/dev/null || true; wait $WATCH $MOTO 2>/dev/null || true; rm -rf "$WORK"' EXIT
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
invoke "$WORK/webhook.json" storefronts >"$WORK/webhook.out.json"
python3 "$ROOT/tests/lambda/assert.py" webhook "$WORK/webhook.out.json"
sed 's/"x-shopify-hmac-sha256": "SIGNATURE"/"x-shopify-hmac-sha256": "bm90IHRoZSBzaWduYXR1cmUgb2YgdGhpcyBib2R5ISE="/' \
  "$FIX/shopify-webhook.json" >"$WORK/webhook-forged.json"
invoke "$WORK/webhook-forged.json" storefronts >"$WORK/webhook-forged.out.json"
python3 "$ROOT/tests/lambda/assert.py" webhook-forged "$WORK/webhook-forged.out.json"
# Return approval: a customer's refund request through intake, an agent's decision through the
# returns binary, and a scheduled run of the timers binary.
invoke "$FIX/post-return-case-customer.json" >"$WORK/return.json"
RETURN_ID=$(python3 "$ROOT/tests/lambda/assert.py" created-return "$WORK/return.json")
sed "s/CASE_ID/$RETURN_ID/g" "$FIX/approve-return-agent.json" >"$WORK/approve.json"
invoke "$WORK/approve.json" returns >"$WORK/approve.out.json"
python3 "$ROOT/tests/lambda/assert.py" approved "$WORK/approve.out.json"
# Dispatch: the dispatcher makes the customer's repair a work order through the dispatch binary.
sed "s/CASE_ID/$CASE_ID/g" "$FIX/open-work-dispatcher.json" >"$WORK/open-work.json"
invoke "$WORK/open-work.json" dispatch >"$WORK/open-work.out.json"
python3 "$ROOT/tests/lambda/assert.py" work-opened "$WORK/open-work.out.json"
# Feedback: the customer's survey, which opens only once the case is resolved.
sed "s/CASE_ID/$CASE_ID/g" "$FIX/answer-survey-customer.json" >"$WORK/survey.json"
invoke "$WORK/survey.json" feedback >"$WORK/survey.out.json"
python3 "$ROOT/tests/lambda/assert.py" survey-not-open "$WORK/survey.out.json"
# The reports, kept as counters written with the facts: the repair filed above is counted.
invoke "$FIX/get-reports-manager.json" feedback >"$WORK/reports.out.json"
python3 "$ROOT/tests/lambda/assert.py" reports "$WORK/reports.out.json"
invoke "$ROOT/tests/fixtures/eventbridge/scheduled.json" timers >"$WORK/timers.out.json"
python3 "$ROOT/tests/lambda/assert.py" timers "$WORK/timers.out.json"
# Cognito's plain `groups` claim (Cognito never sets one) grants no staff role.
invoke "$FIX/read-policy-plain-groups-claim.json" policy >"$WORK/groups-claim.out.json"
python3 "$ROOT/tests/lambda/assert.py" plain-groups-claim "$WORK/groups-claim.out.json"
# The admin page, from its own binary: the built shell with its security headers.
invoke "$FIX/get-admin-page.json" admin >"$WORK/admin.out.json"
python3 "$ROOT/tests/lambda/assert.py" admin-page "$WORK/admin.out.json"
# The published contract, from the policy binary, with no token (as API Gateway routes it).
invoke "$FIX/get-openapi-no-token.json" policy >"$WORK/openapi.out.json"
python3 "$ROOT/tests/lambda/assert.py" openapi "$WORK/openapi.out.json"

# The identity trigger: a token for an agent and for finance with MFA (the event unchanged),
# none for finance without MFA, none when the user cannot be looked up (fails closed).
for ok in agent finance-mfa; do
  invoke "$WORK/identity-$ok.json" identity >"$WORK/identity-$ok.out.json"
  python3 "$ROOT/tests/lambda/assert.py" identity-issued "$WORK/identity-$ok.out.json" "$WORK/identity-$ok.json"
done
refused() { # event expected-words
  if cargo lambda invoke identity --invoke-address 127.0.0.1 --invoke-port "$PORT" \
      --output-format json --data-file "$1" >"$WORK/refused.out" 2>&1; then
    cat "$WORK/refused.out" >&2; die "the identity trigger issued a token for $1"
  fi
  grep -q "$2" "$WORK/refused.out" || { cat "$WORK/refused.out" >&2; die "refused, but without '$2'"; }
}
refused "$WORK/identity-finance-no-mfa.json" "authenticator app"
refused "$WORK/identity-admin-unknown-pool.json" "could not be checked"
echo "lambda: 19 passed, 0 failed"
