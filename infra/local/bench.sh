#!/usr/bin/env bash
# `make bench`: figures for the closing notes, never a pass/fail on timing. Builds the release
# binaries, starts DynamoDB Local in memory, and prints: binary sizes, the intake binary's cold
# start (process start to first answer), and round trips, capacity units and local latency per
# operation.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
need cargo "Install Rust with rustup (https://rustup.rs)."
install_dynamodb_local
mkdir -p "$STATE_DIR"
cd "$ROOT"

say "release build"
start=$(date +%s)
cargo build --release --quiet -p intake -p returns -p timers -p identity
echo "release build of the functions: $(( $(date +%s) - start )) s (incremental; 'cargo clean' first for a clean figure)"
for f in intake returns timers identity; do
  ls -l "target/release/$f" | awk -v f="$f" '{printf "%s binary (x86_64, stripped): %.1f MiB\n", f, $5 / 1048576}'
done

DDB_PORT=$(free_port)
start_dynamodb "$DDB_PORT" memory "$STATE_DIR/dynamodb-bench.log"
trap stop_dynamodb EXIT
export DYNAMODB_ENDPOINT="http://127.0.0.1:$DDB_PORT" TABLE_NAME="bench"
cargo run --quiet -p local-gateway -- create-table >&2

python3 tests/bench/cold_start.py target/release/intake tests/fixtures/apigw/post-case-customer.json 20
cargo run --quiet --release -p e2e --example intake_cost
