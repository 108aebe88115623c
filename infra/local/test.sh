#!/usr/bin/env bash
# `make test`: every test. Installs what it needs, validates the SAM template, starts DynamoDB
# Local in memory on a free port (each test makes its own table, so tests run in parallel), runs
# the Rust tests (unit, property, store, end-to-end over HTTP: the access matrix, the request
# generator, the frozen-database fault test), lints the published contract and runs schemathesis
# over it, drives the admin page in Chromium (tests/browser), then invokes the real Lambda binaries through cargo-lambda's runtime emulator, and
# last the run command itself.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

need cargo "Install Rust with rustup (https://rustup.rs)."
install_dynamodb_local
install_python_tools
mkdir -p "$STATE_DIR"
cd "$ROOT"

say "sam validate --lint infra/template.yaml (offline: no AWS account is asked)"
AWS_ACCESS_KEY_ID=dummy AWS_SECRET_ACCESS_KEY=dummy AWS_SESSION_TOKEN= AWS_REGION=us-east-1 \
  AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true SAM_CLI_TELEMETRY=0 \
  sam validate --lint --template-file infra/template.yaml \
  || die "sam validate --lint found problems in infra/template.yaml (above)"

install_s3

DDB_PORT=$(free_port)
say "starting DynamoDB Local in memory on 127.0.0.1:$DDB_PORT"
start_dynamodb "$DDB_PORT" memory "$STATE_DIR/dynamodb-test.log"
S3_PORT=$(free_port)
S3_DIR=$(mktemp -d)
say "starting the local S3 (s3s-fs) on 127.0.0.1:$S3_PORT"
start_s3 "$S3_PORT" "$S3_DIR" "$STATE_DIR/s3-test.log"
trap 'stop_dynamodb; stop_s3; rm -rf "$S3_DIR"' EXIT
export DYNAMODB_ENDPOINT="http://127.0.0.1:$DDB_PORT"
# The fault test freezes a DynamoDB Local of its own, started from here.
export DYNAMODB_LOCAL_DIR="$DDB_DIR"

build_admin_page

say "cargo test"
cargo test --workspace --all-targets "$@"

say "the published contract: Redocly's lint of shared/openapi.json"
(cd "$LOCAL_DIR" && node_modules/.bin/redocly lint ../../shared/openapi.json --config redocly.yaml --format=summary) \
  || die "shared/openapi.json has problems (above); the document is made by the code: fix the code, then make openapi"

say "the published contract: schemathesis against the running gateway, a token per role"
"$ROOT/tests/contract/schemathesis.sh"

say "the admin page in a real browser (Playwright, Debian's Chromium)"
"$ROOT/tests/browser/run.sh"

say "the Lambda binaries through the runtime emulator"
"$ROOT/tests/lambda/check.sh"

say "the run command: up, file a case, stop, restart, the case is still there"
"$ROOT/tests/stack/restart.sh"
