#!/usr/bin/env bash
# The admin page in a real browser: Playwright (pinned in tests/browser/package-lock.json)
# drives Debian's Chromium (with fonts-noto-cjk, so that Chinese renders) against the local
# gateway serving the built page and every function over DynamoDB Local. Installs what is
# missing and says what to do when it cannot. Screenshots of each page go to
# target/browser-artifacts/ (kept after the run).
#
# Needs DYNAMODB_ENDPOINT (make test starts DynamoDB Local) and the built page (make test
# builds it before the Rust tests).
set -euo pipefail
source "$(dirname "$0")/../../infra/local/lib.sh"

[ -n "${DYNAMODB_ENDPOINT:-}" ] || die "DYNAMODB_ENDPOINT is not set: run this from make test"
need npm "Install Node.js 20 or later (it brings npm), from your package manager or nodejs.org."
CHROMIUM="${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}"
if [ -z "$CHROMIUM" ] || [ -z "$(fc-list 2>/dev/null | grep -i 'noto.*cjk' | head -n 1)" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing Chromium and the CJK fonts (apt-get install chromium fonts-noto-cjk)"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk; } >/dev/null \
      || die "apt-get could not install chromium fonts-noto-cjk; install them (or set CHROMIUM to a Chromium binary)"
    CHROMIUM=$(command -v chromium)
  else
    die "the browser tests need Chromium and CJK fonts: run 'sudo apt-get install chromium fonts-noto-cjk' (Debian/Ubuntu), or set CHROMIUM to a Chromium binary"
  fi
fi
export CHROMIUM

BROWSER_DIR="$ROOT/tests/browser"
if ! cmp -s "$BROWSER_DIR/package-lock.json" "$BROWSER_DIR/node_modules/.installed-lock"; then
  say "installing Playwright (npm @playwright/test, pinned; no browser download: Debian's Chromium is used)"
  (cd "$BROWSER_DIR" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error) \
    || die "npm could not install @playwright/test; check your network or npm registry settings."
  cp "$BROWSER_DIR/package-lock.json" "$BROWSER_DIR/node_modules/.installed-lock"
fi

# A Shopify shop whose write-back is refused (its API address is this gateway, which refuses
# the shop's token with a 401): every decision written back to it waits for finance to settle.
export BROWSER_SHOPIFY_DOMAIN=browser.myshopify.com BROWSER_SHOPIFY_SECRET="browser-shpss-$RANDOM"
start_test_gateway browser "[{\"id\": \"shop\", \"kind\": \"shopify\", \"source\": \"$BROWSER_SHOPIFY_DOMAIN\",
  \"secrets\": [\"$BROWSER_SHOPIFY_SECRET\"],
  \"write_back\": {\"base_url\": \"http://127.0.0.1:@PORT@/no-shopify-here\", \"access_token\": \"shpat_browser\"}}]"

export ARTIFACTS="$ROOT/target/browser-artifacts"
rm -rf "$ARTIFACTS" && mkdir -p "$ARTIFACTS"
say "the admin page in Chromium ($("$CHROMIUM" --version 2>/dev/null | head -1)); screenshots in target/browser-artifacts/"
(cd "$BROWSER_DIR" && BASE_URL="http://127.0.0.1:$PORT" npx playwright test) \
  || { tail -n 40 "$WORK/gateway.log" >&2; die "the admin page failed in the browser (above; screenshots in target/browser-artifacts/)"; }
