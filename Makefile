# Thin entry points; the scripts live in infra/local.
.PHONY: dev test token lint package bench

dev:  ## the whole system on http://127.0.0.1:3000 (Ctrl-C stops it)
	infra/local/dev.sh

test:  ## every test, against a DynamoDB Local it starts itself
	infra/local/test.sh

ROLE ?= customer
SUB ?=
token:  ## a bearer token for the local gateway: make token ROLE=agent SUB=alice
	@cargo run --quiet -p local-gateway -- token $(ROLE) $(SUB)

lint:  ## formatting and clippy, as CI runs them
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

package:  ## release Lambda builds for arm64 (needs cargo-lambda and zig: pip install cargo-lambda ziglang)
	cargo lambda build --release --arm64 -p intake -p returns -p timers

bench:  ## figures: binary size, cold start, round trips and capacity per operation
	infra/local/bench.sh
