#!/usr/bin/env bash
# Runs every check the project has: formatting, lints, licences, all tests.
# This is the one test command of the README; .ci/run calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "rustfmt"
cargo fmt --all -- --check

step "clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "licences (no GPL/LGPL/AGPL dependency)"
python3 scripts/check-licences.py

step "cargo test (all but the end-to-end crate)"
cargo test --workspace --locked --exclude tarjotin-tests

step "end-to-end API tests (real HTTP on loopback)"
cargo test --locked -p tarjotin-tests

if [ "${SKIP_SCHEMATHESIS:-0}" != 1 ]; then
    step "schemathesis against /openapi.json (no 5xx, responses match the schema)"
    scripts/schemathesis.sh
fi

step "widget: setup (Debian Chromium, npm ci), unit tests, bundle freshness and size"
widget/scripts/setup.sh
(cd widget && npm run test:unit)

step "widget: end-to-end in Chromium against the real search-api on loopback"
scripts/widget-e2e-real-api.sh

step "benches compile (dev profile; the numbers come from the documented release runs)"
cargo build --workspace --locked --benches --bins
