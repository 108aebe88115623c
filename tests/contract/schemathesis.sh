#!/usr/bin/env bash
# The generator over the published contract: schemathesis reads shared/openapi.json as served
# by the local gateway and sends generated requests to every route, once with a token of each
# role and once with none, following the document's links (file a case, then read it and act
# on it). It fails on any 5xx, any status, header, content type or body the document does not
# allow, and a run of fewer than 1,000 requests. The seed is printed: SCHEMATHESIS_SEED=<seed>
# replays a run.
#
# Not checked: schemathesis' "schema-valid request rejected" (positive_data_acceptance). A
# request can fit the schema and still be refused by a rule (422: a window closed, a return
# asking more than was paid) or by a check no schema states (400: control characters in a
# note); both are the API's contract, documented on each operation.
#
# Needs DYNAMODB_ENDPOINT (make test starts DynamoDB Local); builds the local gateway.
set -euo pipefail
source "$(dirname "$0")/../../infra/local/lib.sh"

command -v schemathesis >/dev/null || die "schemathesis is not installed: make test installs it into .venv"
start_test_gateway contract

SEED="${SCHEMATHESIS_SEED:-$(python3 -c 'import random; print(random.randrange(1, 2**31))')}"
EXAMPLES="${SCHEMATHESIS_EXAMPLES:-12}"
say "schemathesis: seed $SEED ($EXAMPLES examples an operation; SCHEMATHESIS_SEED=$SEED replays it)"
FAILED=""
for role in none customer agent reviewer manager dispatcher technician warehouse quality finance admin; do
  auth=()
  if [ "$role" != none ]; then
    auth=(-H "Authorization: Bearer $("$GATEWAY" token "$role" "st-$role")")
  fi
  if ! (cd "$WORK" && schemathesis run "http://127.0.0.1:$PORT/v1/openapi.json" "${auth[@]}" \
      --seed "$SEED" --max-examples "$EXAMPLES" --exclude-checks positive_data_acceptance \
      --workers 2 --no-color --warnings off --generation-database none \
      --report har --report-har-path "$WORK/$role.har" >"$WORK/$role.out" 2>&1); then
    FAILED="$FAILED $role"
    cat "$WORK/$role.out" >&2
  fi
done

python3 - "$WORK" <<'PY'
import collections, glob, json, sys
counts, per_role = collections.Counter(), {}
for har in sorted(glob.glob(sys.argv[1] + "/*.har")):
    entries = json.load(open(har))["log"]["entries"]
    role = har.rsplit("/", 1)[1][:-4]
    per_role[role] = len(entries)
    counts.update(e["response"]["status"] for e in entries)
total = sum(counts.values())
print(f"schemathesis: {total} requests; by role {per_role}; status counts {dict(sorted(counts.items()))}")
if total < 1000:
    sys.exit(f"schemathesis sent only {total} requests (at least 1,000 are asked): raise SCHEMATHESIS_EXAMPLES")
if any(s >= 500 for s in counts):
    sys.exit("schemathesis saw server errors")
PY
if grep -q "panicked" "$WORK/gateway.log"; then
  grep -B2 -A10 "panicked" "$WORK/gateway.log" >&2
  die "the gateway panicked during the schemathesis run"
fi
[ -z "$FAILED" ] || die "schemathesis found answers the document does not allow, as:$FAILED (seed $SEED)"
