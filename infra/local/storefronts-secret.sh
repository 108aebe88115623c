#!/usr/bin/env bash
# `make storefronts-secret FILE=storefronts.json [SECRET=aftersales/storefronts]`: checks the
# storefronts JSON with the functions' own rules, then creates the Secrets Manager secret the
# stack reads at cold start, or puts a new version of it (a rotation: new instances use it).
# Needs AWS credentials (the default chain: AWS_PROFILE, environment, SSO...).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

FILE="${FILE:-}"
SECRET="${SECRET:-aftersales/storefronts}"
[ -n "$FILE" ] || die "name the storefronts JSON: make storefronts-secret FILE=storefronts.json (see README, 'Storefront webhooks')"
[ -f "$FILE" ] || die "$FILE does not exist"
need cargo "Install Rust with rustup (https://rustup.rs)."
install_python_tools
cd "$ROOT"
cargo run --quiet -p local-gateway -- check-storefronts "$FILE" || die "$FILE is not a valid storefronts list (above)"
python - "$SECRET" "$FILE" <<'PY' || die "Secrets Manager refused (above): check your AWS credentials and region"
import sys
import boto3

name, path = sys.argv[1], sys.argv[2]
value = open(path).read()
sm = boto3.client("secretsmanager")
try:
    sm.put_secret_value(SecretId=name, SecretString=value)
    print(f"{name}: a new version is current; function instances started from now on use it")
except sm.exceptions.ResourceNotFoundException:
    sm.create_secret(Name=name, SecretString=value,
                     Description="After-sales storefronts and their webhook secrets (JSON)")
    print(f"{name}: created")
PY
