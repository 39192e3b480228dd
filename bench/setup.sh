#!/usr/bin/env bash
# Installs what bench/run.sh needs. Idempotent: each piece is skipped when already in place, so a
# second run takes a second or two.
#
#   nginx            Debian package (apt-get, non-interactive), only the binary is used: run.sh starts
#                    its own foreground instance from a generated config; the system service is never
#                    started or enabled by this script.
#   oha 1.16.0       load generator, `cargo install --locked` into bench/.tools, default features
#                    (`--no-default-features` would skip rustls, but oha 1.16.0 does not compile without
#                    a TLS feature: client.rs calls connect_tls unconditionally)
#   litellm 1.106.2  `litellm[proxy]` into bench/.venv-litellm (pinned: the comparison point is that
#                    exact release)
#
# Heavy steps run under `nice -n 19` so that they do not starve other builds on this 2-core machine.
# Environment: PYTHON (interpreter for the LiteLLM venv; default python3), SKIP_LITELLM=1 to skip it.
set -euo pipefail

bench="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
tools="$bench/.tools"
venv="$bench/.venv-litellm"
OHA_VERSION=1.16.0
LITELLM_VERSION=1.106.2

say() { echo "bench/setup: $*"; }
die() { echo "bench/setup: error: $*" >&2; exit 1; }

# --- nginx -------------------------------------------------------------------------------------
nginx_bin() { command -v nginx 2>/dev/null || { [[ -x /usr/sbin/nginx ]] && echo /usr/sbin/nginx; } || true; }
if [[ -n "$(nginx_bin)" ]]; then
    say "nginx present: $("$(nginx_bin)" -v 2>&1)"
else
    command -v apt-get >/dev/null || die "nginx is missing and apt-get is not available: install nginx by hand"
    say "installing nginx (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    # policy-rc.d 101 keeps the package's postinst from starting the system nginx on port 80.
    created_policy=0
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && created_policy=1
    fi
    { nice -n 19 apt-get install -y -q --no-install-recommends nginx >/dev/null 2>&1 \
        || { nice -n 19 apt-get update -q >/dev/null && nice -n 19 apt-get install -y -q --no-install-recommends nginx >/dev/null; }; } \
        || { [[ $created_policy == 1 ]] && rm -f /usr/sbin/policy-rc.d; die "apt-get install nginx failed"; }
    [[ $created_policy == 1 ]] && rm -f /usr/sbin/policy-rc.d
    [[ -n "$(nginx_bin)" ]] || die "nginx installed but no nginx binary found"
    say "nginx installed: $("$(nginx_bin)" -v 2>&1)"
fi

# --- oha ---------------------------------------------------------------------------------------
if [[ -x "$tools/bin/oha" ]] && "$tools/bin/oha" --version 2>/dev/null | grep -q " $OHA_VERSION"; then
    say "oha present: $("$tools/bin/oha" --version)"
else
    command -v cargo >/dev/null || die "cargo not found (needed to install oha)"
    say "installing oha $OHA_VERSION into $tools (cargo install, nice'd; a few minutes)"
    mkdir -p "$tools"
    # Own target dir so the workspace's target/ is untouched; removed afterwards to save disk.
    CARGO_TARGET_DIR="$tools/build" nice -n 19 cargo install oha --locked --version "$OHA_VERSION" \
        --root "$tools" --quiet
    rm -rf "$tools/build"
    "$tools/bin/oha" --version >/dev/null || die "oha installed but does not run"
    say "oha installed: $("$tools/bin/oha" --version)"
fi

# --- LiteLLM -----------------------------------------------------------------------------------
if [[ "${SKIP_LITELLM:-0}" == 1 ]]; then
    say "SKIP_LITELLM=1: not installing LiteLLM"
    exit 0
fi
stamp="$venv/.bench-litellm.stamp"
if [[ -x "$venv/bin/litellm" && -f "$stamp" && "$(cat "$stamp")" == "litellm[proxy]==$LITELLM_VERSION" ]]; then
    say "litellm present: $("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("litellm"))')"
else
    py="${PYTHON:-python3}"
    "$py" -c 'import sys; assert sys.version_info >= (3, 9)' 2>/dev/null || die "$py is missing or older than 3.9; set PYTHON"
    if [[ ! -x "$venv/bin/python" ]]; then
        say "creating $venv with $py"
        rm -rf "$venv"
        "$py" -m venv "$venv" || die "could not create the venv (on Debian: apt-get install python3-venv)"
    fi
    say "installing litellm[proxy]==$LITELLM_VERSION into $venv (pip, nice'd; a few minutes)"
    export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
    nice -n 19 "$venv/bin/python" -m pip install --quiet "litellm[proxy]==$LITELLM_VERSION"
    "$venv/bin/litellm" --help >/dev/null 2>&1 || die "litellm installed but \`litellm --help\` fails"
    echo "litellm[proxy]==$LITELLM_VERSION" >"$stamp.tmp" && mv "$stamp.tmp" "$stamp"
    say "litellm installed: $LITELLM_VERSION"
fi
say "done"
