#!/usr/bin/env bash
# `make package`: the release Lambda binaries for arm64 (Graviton), each zipped as Lambda takes
# it: target/lambda/<function>/bootstrap.zip. Installs what it needs: cargo-lambda and zig (the
# cross linker) into .venv, and Rust's aarch64 target.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

need cargo "Install Rust with rustup (https://rustup.rs)."
need rustup "Install Rust with rustup (https://rustup.rs): the arm64 target comes from it."
install_python_tools
if [ ! -x "$VENV/bin/python-zig" ] && ! "$VENV/bin/python" -c 'import ziglang' 2>/dev/null; then
  say "installing ziglang==0.15.1 into .venv (cargo-lambda's cross linker)"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "ziglang==0.15.1" \
    || die "pip could not install ziglang; check your network or PyPI settings."
fi
rustup target list --installed | grep -qx aarch64-unknown-linux-gnu || {
  say "adding Rust's aarch64-unknown-linux-gnu target"
  rustup target add aarch64-unknown-linux-gnu || die "rustup could not add the aarch64 target"
}
cd "$ROOT"
build_admin_page
FUNCTIONS=(intake returns dispatch feedback storefronts policy timers identity admin)
say "release build for arm64: ${FUNCTIONS[*]} (several minutes from clean)"
cargo lambda build --release --arm64 --output-format zip "${FUNCTIONS[@]/#/-p=}" \
  || die "cargo lambda build failed (above)"
for f in "${FUNCTIONS[@]}"; do
  zip="target/lambda/$f/bootstrap.zip"
  [ -f "$zip" ] || die "$zip was not made"
  # Our budget: 4 MB a zip (a smaller archive is faster for Lambda to fetch and unpack).
  ls -l "$zip" | awk -v z="$zip" '{printf "%s: %.2f MB%s\n", z, $5 / 1e6, ($5 >= 4e6 ? "  (over the 4 MB budget)" : "")}'
done
