#!/usr/bin/env bash
# Runs the end-to-end suite: the official OpenAI and Anthropic Python SDKs against a real
# `tollgate` in front of `tollgate-mock`'s fake providers.
#
# Builds nothing: the caller builds the binaries first (`cargo build -p tollgate -p tollgate-mock`),
# or points TOLLGATE_BIN / TOLLGATE_MOCK_BIN at other builds. Extra arguments go to pytest,
# e.g. `scripts/e2e.sh -k anthropic -x`. The exit code is pytest's.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

"$repo/scripts/python-env.sh"

cd "$repo"
echo "e2e: .venv/bin/python -m pytest tests/e2e -q $*"
exec "$repo/.venv/bin/python" -m pytest tests/e2e -q "$@"
