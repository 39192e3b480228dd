#!/usr/bin/env bash
# Makes <repo>/.venv hold the Python packages pinned in tests/e2e/requirements.txt (the official
# OpenAI and Anthropic SDKs, pytest, httpx, schemathesis), for the end-to-end suite.
#
# Idempotent and quick when nothing changed: a stamp in the venv records the hash of the
# requirements file and the interpreter it was installed for, and a matching stamp means "done".
# Safe without a terminal (CI=true, no stdin): nothing here prompts.
#
# Environment:
#   PYTHON   interpreter to build the venv from (default: the first of python3.13, python3.12,
#            python3.11, python3 that is at least 3.11 -- httpx2, used by the SDKs, needs 3.11)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$repo/.venv"
requirements="$repo/tests/e2e/requirements.txt"
stamp="$venv/.tollgate-e2e-requirements.stamp"

say() { echo "python-env: $*"; }
die() { echo "python-env: error: $*" >&2; exit 1; }

[[ -f "$requirements" ]] || die "missing $requirements"

# Two runs at once (a developer and a hook, say) would fight over one venv: take turns.
# The lock is on the requirements file itself, so no stray lock file is left behind.
if command -v flock >/dev/null 2>&1; then
    exec 9<"$requirements"
    flock 9
fi

# Prints the interpreter's "major.minor" if it runs and is recent enough, else fails.
python_version_ok() {
    "$1" -c 'import sys; assert sys.version_info >= (3, 11); print("%d.%d" % sys.version_info[:2])' 2>/dev/null
}

pick_python() {
    if [[ -n "${PYTHON:-}" ]]; then
        python_version_ok "$PYTHON" >/dev/null || die "PYTHON=$PYTHON does not run or is older than 3.11"
        echo "$PYTHON"
        return
    fi
    local candidate
    for candidate in python3.13 python3.12 python3.11 python3; do
        if command -v "$candidate" >/dev/null 2>&1 && python_version_ok "$candidate" >/dev/null; then
            command -v "$candidate"
            return
        fi
    done
    die "no Python 3.11 or newer found (tried python3.13, python3.12, python3.11, python3); set PYTHON"
}

requirements_hash="$(sha256sum "$requirements" | cut -d' ' -f1)"

# A venv whose interpreter no longer runs (moved repo, removed base Python) is rebuilt.
venv_python="$venv/bin/python"
venv_version=""
if [[ -x "$venv_python" ]]; then
    venv_version="$(python_version_ok "$venv_python" || true)"
fi

wanted_stamp="requirements=$requirements_hash python=$venv_version"
if [[ -n "$venv_version" && -f "$stamp" && "$(cat "$stamp")" == "$wanted_stamp" ]]; then
    say "$venv is up to date (python $venv_version, requirements $(echo "$requirements_hash" | cut -c1-12))"
    exit 0
fi

if [[ -z "$venv_version" ]]; then
    base_python="$(pick_python)"
    if [[ -e "$venv" ]]; then
        say "$venv exists but its python does not run (or is older than 3.11): rebuilding it"
        rm -rf "$venv"
    fi
    say "creating $venv with $base_python ($(python_version_ok "$base_python"))"
    "$base_python" -m venv "$venv" \
        || die "could not create the venv with $base_python (on Debian: apt-get install python3-venv)"
    venv_version="$(python_version_ok "$venv_python")" || die "the new venv's python does not run"
fi

say "installing $requirements into $venv"
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
"$venv_python" -m pip install --quiet --no-input --requirement "$requirements"
say "checking that the installed packages agree with each other (pip check)"
"$venv_python" -m pip check

# Written last: an interrupted install leaves no stamp, so the next run installs again.
echo "requirements=$requirements_hash python=$venv_version" >"$stamp.tmp"
mv "$stamp.tmp" "$stamp"
say "done: $("$venv_python" -c 'import openai, anthropic, pytest, httpx, schemathesis; print(f"openai {openai.__version__}, anthropic {anthropic.__version__}, pytest {pytest.__version__}, httpx {httpx.__version__}, schemathesis {schemathesis.__version__}")')"
