# Thin entry points; the scripts live in infra/local.
.PHONY: dev test token lint package storefronts-secret bench openapi

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

package:  ## release Lambda binaries for arm64, zipped in target/lambda/<function>/ (installs its tools)
	infra/local/package.sh

storefronts-secret:  ## checks FILE and stores it as the Secrets Manager secret SECRET (needs AWS credentials)
	infra/local/storefronts-secret.sh

bench:  ## figures: binary size, cold start, round trips and capacity per operation
	infra/local/bench.sh

openapi:  ## writes the published contract, shared/openapi.json, from the code
	cargo run --quiet -p local-gateway -- openapi > shared/openapi.json.new && mv shared/openapi.json.new shared/openapi.json
