#!/usr/bin/env bash
# `make bench`: figures for the closing notes, never a pass/fail on timing. Builds the release
# binaries, starts DynamoDB Local in memory, and prints: binary sizes, the intake binary's cold
# start (process start to first answer), and round trips, capacity units and local latency per
# operation.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
need cargo "Install Rust with rustup (https://rustup.rs)."
install_dynamodb_local
install_s3
mkdir -p "$STATE_DIR"
cd "$ROOT"

say "release build"
start=$(date +%s)
cargo build --release --quiet -p intake -p returns -p dispatch -p feedback -p storefronts -p policy -p timers -p identity -p hello-lambda
echo "release build of the functions: $(( $(date +%s) - start )) s (incremental; 'cargo clean' first for a clean figure)"

DDB_PORT=$(free_port)
start_dynamodb "$DDB_PORT" memory "$STATE_DIR/dynamodb-bench.log"
S3_DIR=$(mktemp -d)
start_s3 "$(free_port)" "$S3_DIR" "$STATE_DIR/s3-bench.log"
trap 'stop_dynamodb; stop_s3; rm -rf "$S3_DIR"' EXIT
export DYNAMODB_ENDPOINT="http://127.0.0.1:$DDB_PORT" TABLE_NAME="bench"
cargo run --quiet -p local-gateway -- create-table >&2

# Each function beside hello world, on an answer that needs no database (a case id that cannot
# exist is a 404 before any read; a token for a customer needs no Cognito call); the timers
# always read, so their start is the figure to compare. Then a filing, with its round trips.
python3 tests/bench/cold_start.py 30 \
  hello=target/release/hello-lambda:tests/fixtures/apigw/get-case-customer.json:200 \
  intake=target/release/intake:tests/fixtures/apigw/get-case-customer.json:404 \
  returns=target/release/returns:tests/fixtures/apigw/approve-return-agent.json:404 \
  dispatch=target/release/dispatch:tests/fixtures/apigw/open-work-dispatcher.json:404 \
  storefronts=target/release/storefronts:tests/fixtures/apigw/shopify-webhook.json:401 \
  policy=target/release/policy:tests/fixtures/apigw/read-policy-plain-groups-claim.json:any \
  identity=target/release/identity:tests/fixtures/cognito/pre-token-generation.json:any \
  timers=target/release/timers:tests/fixtures/eventbridge/scheduled.json:any \
  intake-filing=target/release/intake:tests/fixtures/apigw/post-case-customer.json:201
cargo run --quiet --release -p e2e --example intake_cost
