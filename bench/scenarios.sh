#!/usr/bin/env bash
# Tollgate scenario benchmark: what auth, limits and guardrails cost on the request path, as ratios
# of Tollgate against Tollgate in one run, against the same mock (tollgate-mock /bench/v1):
#
#   master     master key                                          tollgate A (guardrails off)
#   vkey       virtual key, no limits (SHA-256 lookup through the   tollgate A
#              key cache; the spend-log writer on)
#   budget     virtual key with a budget, rpm and tpm limits far    tollgate A
#              above what the run uses (reserve / settle on every call, rate counters)
#   guard-off  master key                                          tollgate C (a copy of A, so that the
#                                                                   guardrails pair is two processes alike)
#   guard-on   master key, guardrails pii: redact, injection:       tollgate B (the same config as C
#              block at 0.5                                         but for guardrails)
#
# and reports, per concurrency level, the median over rounds of the per-round ratios
#   vkey / master      >= 0.95   (issue 4)
#   budget / vkey      >= 0.90   (issue 5)
#   guard-on / guard-off >= 0.90 (issue 7)
# in bench/results/latest-scenarios.md and .json. Rounds interleave the targets level by level, in
# an order rotated every round, so that background load hits them alike.
#
# Usage: bench/scenarios.sh      (needs oha: bench/setup.sh installs it; LiteLLM is not needed)
# Environment (defaults in brackets): DURATION [4], ROUNDS [5], LEVELS ["1 16 64"], PIN [0],
#   SKIP_BUILD [0], BIN_DIR [target/release], DRAIN_MAX [30]: as in run.sh.
set -euo pipefail

bench="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$bench/.." && pwd)"
results="$bench/results"

DURATION="${DURATION:-4}"
ROUNDS="${ROUNDS:-5}"
LEVELS="${LEVELS:-1 16 64}"
PIN="${PIN:-0}"
SKIP_BUILD="${SKIP_BUILD:-0}"
DRAIN_MAX="${DRAIN_MAX:-30}"
BIN_DIR="${BIN_DIR:-$repo/target/release}"
export SKIP_LITELLM=1   # for setup.sh: only oha is needed here

# shellcheck source=bench/lib.sh
source "$bench/lib.sh"

install_and_build
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
warn_if_busy
start_mock

# ---- three Tollgates: A and C (guardrails off) and B (guardrails on), otherwise the same ---------
# A serves the key scenarios; B and C only the master key, each the same share of the run's calls,
# so that the guardrails pair differs in nothing but the guardrails (not in the spend log's size).
# The deployment has an explicit price (gpt-4o-mini's list price): a key with a budget is refused
# models Tollgate cannot price (403 model_unpriced).
master_key="sk-bench-$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
write_config() {  # write_config NAME GUARDRAILS_YAML
    mkdir -p "$work/$1"
    cat >"$work/$1/tollgate.yaml" <<CONF
server: {host: 127.0.0.1, port: 0}
storage: {url: "sqlite://$work/$1/tollgate.db"}
providers:
  upstream: {kind: openai, base_url: "$upstream_base", api_key: "mock-key"}
models:
  - name: bench-model
    deployments:
      - {provider: upstream, model: gpt-4o-mini, price: {input_per_mtok: "0.15", output_per_mtok: "0.60"}}
guardrails: $2
CONF
}
write_config tollgate-a '{pii: {mode: off}, injection: {mode: off}}'
write_config tollgate-b '{pii: {mode: redact}, injection: {mode: block, threshold: 0.5}}'
write_config tollgate-c '{pii: {mode: off}, injection: {mode: off}}'

# Keys go into A's store before it serves (the CLI prints the key as JSON, its secret in `key`).
create_key() {  # create_key NAME [flags...]: prints the secret
    local name=$1; shift
    env TOLLGATE_MASTER_KEY="$master_key" TOLLGATE_LOG=warn "$tollgate_bin" keys create \
        --config "$work/tollgate-a/tollgate.yaml" --name "$name" "$@" >"$work/key-$name.json" \
        || die "tollgate keys create --name $name failed"
    python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["key"])' "$work/key-$name.json"
}
vkey=$(create_key bench-vkey)
budget_key=$(create_key bench-budget --budget-usd 1000000 --rpm-limit 100000000 --tpm-limit 100000000)

serve() {  # serve NAME: starts Tollgate on $work/NAME/tollgate.yaml
    start "$1" env TOLLGATE_MASTER_KEY="$master_key" TOLLGATE_LOG=warn RUST_LOG=warn \
        "$tollgate_bin" serve --config "$work/$1/tollgate.yaml"
}
serve tollgate-a; a_pid=$started_pid
serve tollgate-b; b_pid=$started_pid
serve tollgate-c; c_pid=$started_pid
a_url=$(wait_line tollgate-a "$a_pid" 'http://127\.0\.0\.1:[0-9]+' 30)
b_url=$(wait_line tollgate-b "$b_pid" 'http://127\.0\.0\.1:[0-9]+' 30)
c_url=$(wait_line tollgate-c "$c_pid" 'http://127\.0\.0\.1:[0-9]+' 30)
say "tollgate A (keys, guardrails off): $a_url (pid $a_pid); B (guardrails on): $b_url (pid $b_pid); C (guardrails off): $c_url (pid $c_pid)"

# ---- targets -----------------------------------------------------------------------------------
targets=(master vkey budget guard-off guard-on)
plain='{"model":"bench-model","messages":[{"role":"user","content":"Say hello"}],"max_tokens":16}'
stream='{"model":"bench-model","messages":[{"role":"user","content":"Say hello"}],"max_tokens":16,"stream":true,"stream_options":{"include_usage":true}}'
declare -A secret=([master]=$master_key [vkey]=$vkey [budget]=$budget_key [guard-off]=$master_key [guard-on]=$master_key)
declare -A server=([master]=$a_url [vkey]=$a_url [budget]=$a_url [guard-off]=$c_url [guard-on]=$b_url)
declare -A server_pid=([master]=$a_pid [vkey]=$a_pid [budget]=$a_pid [guard-off]=$c_pid [guard-on]=$b_pid)
for t in "${targets[@]}"; do
    base=${server[$t]}
    url[$t]="$base/v1/chat/completions"; body[$t]=$plain; sbody[$t]=$stream
    auth[$t]="Authorization: Bearer ${secret[$t]}"
done
proc_group() { echo "${server_pid[$1]}"; }

for t in "${targets[@]}"; do
    ok=0
    for _ in $(seq 1 50); do check "$t" 2>/dev/null && { ok=1; break; }; sleep 0.2; done
    [[ $ok == 1 ]] || { check "$t" || true; die "$t does not answer correctly at ${url[$t]}"; }
done
say "all targets answer 200 (plain and streamed): ${targets[*]}"

# ---- load --------------------------------------------------------------------------------------
say "warming up: ${targets[*]}"
for t in "${targets[@]}"; do oha_run "$t" 16 2 "$work/warmup-$t.json"; done

n=${#targets[@]}
for r in $(seq 1 "$ROUNDS"); do
    say "round $r/$ROUNDS (${DURATION}s per run)"
    for c in $LEVELS; do
        for i in $(seq 0 $(( n - 1 ))); do
            measure "${targets[$(( (i + r - 1) % n ))]}" "$c" "$r" "$DURATION"
        done
    done
done
for pg in "$a_pid" "$b_pid" "$c_pid"; do kill -0 "$pg" 2>/dev/null || die "a tollgate died during the run"; done

# The spend the two virtual keys ran up: proof that the spend log (and the budget) saw the calls.
TOLLGATE_LOG=warn "$tollgate_bin" keys list --config "$work/tollgate-a/tollgate.yaml" --json \
    >"$work/keys-after.json" 2>"$work/keys-after.err" || say "warning: keys list failed"

cat >"$work/meta.json" <<JSON
{
  "date_utc": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
  "nproc": $ncpu,
  "cpu_model": "$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)",
  "loadavg_before": "$load_before",
  "loadavg_after": "$(cut -d' ' -f1-3 /proc/loadavg)",
  "clk_tck": $(getconf CLK_TCK),
  "duration_s": $DURATION,
  "rounds": $ROUNDS,
  "levels": [$(echo "$LEVELS" | sed 's/ \+/,/g')],
  "pin": "$( [[ -n "$server_cpus" ]] && echo "servers on cpu $server_cpus, oha on cpu $load_cpus" || echo "none")",
  "oha": "$("$oha" --version | awk '{print $2}')",
  "tollgate": "$("$tollgate_bin" --version 2>/dev/null | awk '{print $2}')",
  "git_head": "$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)",
  "git_dirty_files": $(git -C "$repo" status --porcelain --untracked-files=no 2>/dev/null | wc -l),
  "stderr_lines": {"tollgate-a": $(wc -l <"$work/tollgate-a.err"), "tollgate-b": $(wc -l <"$work/tollgate-b.err"), "tollgate-c": $(wc -l <"$work/tollgate-c.err")},
  "elapsed_s": $(( $(date +%s) - started_at ))
}
JSON
python3 "$bench/scenarios_report.py" --work "$work" --out "$results"
rm -rf "$results/scenarios-raw.tmp" && cp -r "$work" "$results/scenarios-raw.tmp" \
    && rm -f "$results/scenarios-raw.tmp"/tollgate-?/tollgate.db* "$results/scenarios-raw.tmp"/key-*.json
for name in tollgate-a tollgate-b tollgate-c; do
    [[ -s "$work/$name.err" ]] && { say "$name wrote to stderr (first lines):"; head -5 "$work/$name.err" >&2; }
done
say "done in $(( $(date +%s) - started_at ))s: $results/latest-scenarios.md, $results/latest-scenarios.json"
