#!/usr/bin/env bash
# Runs every test: Rust unit and integration tests (against real SQLite, real HTTP fake providers,
# and the local PostgreSQL/Redis), then the end-to-end suite with the official OpenAI and Anthropic
# Python SDKs (installed into .venv by scripts/python-env.sh). Installs what it needs.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/services.sh

echo "== building the gateway and the fake providers"
cargo build --locked -p tollgate -p tollgate-mock

echo "== Rust tests"
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --locked --workspace --no-fail-fast
else
  cargo test --locked --workspace --no-fail-fast
fi

echo "== end-to-end tests with the official SDKs"
scripts/e2e.sh
