#!/usr/bin/env bash
# Tollgate load benchmark: one run compares, on this machine and at the same moment,
#   direct    oha -> tollgate-mock (/bench/v1, precomputed answers)       the upstream alone
#   nginx     oha -> nginx (bare reverse proxy, keepalive) -> mock        the floor for any proxy hop
#   tollgate  oha -> tollgate (auth, route, cost, spend log) -> mock
#   litellm   oha -> LiteLLM proxy 1.106.2 -> mock
# at concurrency 1, 16 and 64 (closed loop, fixed duration), plus streaming time to first event and
# Tollgate's resident memory under load. Writes bench/results/latest.md and latest.json and prints
# the table. Everything it starts listens on 127.0.0.1 only and is stopped on exit.
#
# Usage: bench/run.sh            (bench/setup.sh first, once; run.sh calls it, quick when done)
# Environment (defaults in brackets):
#   DURATION [4]          seconds per measured run for direct / nginx / tollgate
#   ROUNDS [5]            rounds of (every level x those three targets), interleaved; medians reported
#                         (many short rounds beat few long ones here: a burst of someone else's build
#                         spoils one round, and the median drops it)
#   LITELLM_DURATION [10] seconds per level for LiteLLM (one round: it is slow, the ratio is huge anyway)
#   LEVELS ["1 16 64"]    concurrency levels
#   NGINX_WORKERS [auto]  nginx worker_processes (auto = one per core, the same CPU budget as
#                         Tollgate's tokio runtime, which starts one worker thread per core)
#   LITELLM_WORKERS [nproc]  LiteLLM --num_workers (uvicorn worker processes; one per core, the same
#                         CPU budget as the other two proxies; 1 is LiteLLM's own default)
#   PIN [0]               1: pin oha to the last core and the servers to the others (taskset). Off by
#                         default: in A/B runs it did not make the numbers steadier (other people's
#                         builds are the big noise, and they hit every core), and on 2 cores it squeezes
#                         upstream + proxy onto one core, which changes the proxies unequally (tokio
#                         sizes its runtime from the affinity mask: 1 worker; nginx's `auto` does not:
#                         still 2 workers, now on one core).
#   SKIP_LITELLM [0]      1: leave LiteLLM out
#   SKIP_BUILD [0]        1: use the existing target/release binaries
#   BIN_DIR [target/release]  where tollgate and tollgate-mock are (with SKIP_BUILD=1, e.g. a debug build)
#   DRAIN_MAX [30]        after each run, wait up to this many seconds for the proxy to go idle (work it
#                         deferred past the answers is charged to it, and kept off the next run)
#   TTFE_N [200]          streaming requests measured per target for time to first event (LiteLLM: 1/4)
set -euo pipefail

bench="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$bench/.." && pwd)"
results="$bench/results"

DURATION="${DURATION:-4}"
ROUNDS="${ROUNDS:-5}"
LITELLM_DURATION="${LITELLM_DURATION:-10}"
LEVELS="${LEVELS:-1 16 64}"
NGINX_WORKERS="${NGINX_WORKERS:-auto}"
LITELLM_WORKERS="${LITELLM_WORKERS:-$(nproc)}"
PIN="${PIN:-0}"
SKIP_LITELLM="${SKIP_LITELLM:-0}"
SKIP_BUILD="${SKIP_BUILD:-0}"
TTFE_N="${TTFE_N:-200}"
DRAIN_MAX="${DRAIN_MAX:-30}"
BIN_DIR="${BIN_DIR:-$repo/target/release}"

say() { echo "bench: $*" >&2; }
die() { echo "bench: error: $*" >&2; exit 1; }

started_at=$(date +%s)
work="$(mktemp -d /tmp/tollgate-bench.XXXXXX)"
mkdir -p "$work/raw" "$results"

# ---- process bookkeeping: every server runs in its own process group (setsid); on exit each group
# ---- we started is sent SIGTERM, then SIGKILL if it is still there after 5 s.
groups=()
cleanup() {
    local status=$?
    trap - EXIT INT TERM
    local g
    for g in "${groups[@]}"; do kill -TERM -- "-$g" 2>/dev/null || true; done
    for _ in $(seq 1 50); do
        local alive=0
        # a member that has exited but not yet been reaped (state Z) counts as gone
        for g in "${groups[@]}"; do ps -o stat= -g "$g" 2>/dev/null | grep -qv '^Z' && alive=1; done
        [[ $alive == 0 ]] && break
        sleep 0.1
    done
    for g in "${groups[@]}"; do kill -KILL -- "-$g" 2>/dev/null || true; done
    if [[ $status != 0 && -d "$work" ]]; then
        say "failed; logs kept in $work"
    else
        rm -rf "$work"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Servers go on cores 0..n-2 and oha on core n-1 when PIN=1.
ncpu=$(nproc)
server_cpus=""; load_cpus=""
if [[ "$PIN" == 1 && $ncpu -ge 2 ]]; then
    server_cpus="0"; (( ncpu > 2 )) && server_cpus="0-$((ncpu - 2))"; load_cpus="$((ncpu - 1))"
fi
on_load_cpus() { if [[ -n "$load_cpus" ]]; then taskset -c "$load_cpus" "$@"; else "$@"; fi; }

# start NAME CMD...: starts CMD in a new session (so its whole tree can be stopped), pinned to the
# server cores when PIN=1, stdout and stderr to $work/NAME.out / .err, stdin from /dev/null. Sets
# $started_pid (= the process group id). Not to be called in a subshell: it records the group.
started_pid=""
start() {
    local name=$1; shift
    local -a pin=()
    [[ -n "$server_cpus" ]] && pin=(taskset -c "$server_cpus")
    setsid "${pin[@]}" "$@" </dev/null >"$work/$name.out" 2>"$work/$name.err" &
    started_pid=$!
    groups+=("$started_pid")
}

# wait_line NAME PID REGEX SECONDS: waits for REGEX in NAME's stdout; prints the first match.
wait_line() {
    local name=$1 pid=$2 regex=$3 limit=$4 deadline line
    deadline=$(( $(date +%s) + limit ))
    while (( $(date +%s) < deadline )); do
        line=$(grep -m1 -oE "$regex" "$work/$name.out" 2>/dev/null || true)
        if [[ -n "$line" ]]; then echo "$line"; return 0; fi
        kill -0 "$pid" 2>/dev/null || { tail -20 "$work/$name.err" >&2; die "$name exited before it was ready"; }
        sleep 0.1
    done
    tail -20 "$work/$name.err" >&2
    die "$name did not print its listening line within ${limit}s"
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Sum of VmRSS (KiB) of every live process in process group $1.
group_rss_kib() {
    local pg=$1 total=0 f pid line rest v
    for f in /proc/[0-9]*/stat; do
        { read -r line <"$f"; } 2>/dev/null || continue
        rest=${line##*) }
        # shellcheck disable=SC2086
        set -- $rest
        [[ "$3" == "$pg" ]] || continue
        pid=${f#/proc/}; pid=${pid%/stat}
        v=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
        total=$(( total + ${v:-0} ))
    done
    echo "$total"
}

status_kib() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }

# ------------------------------------------------------------------------------------------------
"$bench/setup.sh" >&2
oha="$bench/.tools/bin/oha"
nginx_bin="$(command -v nginx || echo /usr/sbin/nginx)"

if [[ "$SKIP_BUILD" != 1 ]]; then
    say "building tollgate and tollgate-mock (release, nice'd)"
    (cd "$repo" && nice -n 19 cargo build --release --locked -p tollgate -p tollgate-mock >&2) \
        || die "cargo build --release -p tollgate -p tollgate-mock failed"
fi
tollgate_bin="$BIN_DIR/tollgate"
mock_bin="$BIN_DIR/tollgate-mock"
[[ -x "$tollgate_bin" && -x "$mock_bin" ]] || die "missing $tollgate_bin or $mock_bin"

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
busy=$(ps -eo pcpu=,comm= | awk '$1 > 20 {printf "%s(%d%%) ", $2, $1}')
if [[ -n "$busy" ]]; then say "warning: other busy processes right now: $busy-- numbers will be noisy"; fi

# ---- upstream ----------------------------------------------------------------------------------
start mock "$mock_bin" --port 0 --api-key mock-key; mock_pid=$started_pid
mock_url=$(wait_line mock "$mock_pid" 'http://127\.0\.0\.1:[0-9]+' 20)
mock_port=${mock_url##*:}
upstream_base="$mock_url/bench/v1"
say "upstream: $upstream_base (pid $mock_pid)"

# ---- nginx -------------------------------------------------------------------------------------
nginx_port=$(free_port)
mkdir -p "$work/nginx/tmp"
nginx_user=""
[[ $(id -u) == 0 ]] && nginx_user="user root root;"
cat >"$work/nginx/nginx.conf" <<CONF
# Generated by bench/run.sh: a bare reverse proxy, tuned the way one would for production.
$nginx_user
worker_processes $NGINX_WORKERS;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $work/nginx/tmp/body;
    proxy_temp_path $work/nginx/tmp/proxy;
    fastcgi_temp_path $work/nginx/tmp/fastcgi;
    uwsgi_temp_path $work/nginx/tmp/uwsgi;
    scgi_temp_path $work/nginx/tmp/scgi;
    keepalive_requests 1000000;
    keepalive_timeout 75s;
    upstream mock {
        server 127.0.0.1:$mock_port;
        keepalive 256;
        keepalive_requests 1000000;
        keepalive_timeout 60s;
    }
    server {
        listen 127.0.0.1:$nginx_port reuseport backlog=4096;
        location / {
            proxy_pass http://mock;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_buffering off;
        }
    }
}
CONF
"$nginx_bin" -t -q -p "$work/nginx" -e "$work/nginx/error.log" -c "$work/nginx/nginx.conf" \
    || die "nginx rejected its generated config ($work/nginx/nginx.conf)"
start nginx "$nginx_bin" -p "$work/nginx" -e "$work/nginx/error.log" -c "$work/nginx/nginx.conf"; nginx_pid=$started_pid

# ---- tollgate ----------------------------------------------------------------------------------
master_key="sk-bench-$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
mkdir -p "$work/tollgate"
cat >"$work/tollgate/tollgate.yaml" <<CONF
server: {host: 127.0.0.1, port: 0}
storage: {url: "sqlite://$work/tollgate/tollgate.db"}
providers:
  upstream: {kind: openai, base_url: "$upstream_base", api_key: "mock-key"}
models:
  - {name: bench-model, deployments: [{provider: upstream, model: gpt-4o-mini}]}
CONF
start tollgate env TOLLGATE_MASTER_KEY="$master_key" TOLLGATE_LOG=warn RUST_LOG=warn \
    "$tollgate_bin" serve --config "$work/tollgate/tollgate.yaml"
tollgate_pid=$started_pid
tollgate_url=$(wait_line tollgate "$tollgate_pid" 'http://127\.0\.0\.1:[0-9]+' 30)
say "tollgate: $tollgate_url (pid $tollgate_pid)"

# ---- LiteLLM -----------------------------------------------------------------------------------
litellm_pid=""; litellm_url=""
if [[ "$SKIP_LITELLM" != 1 ]]; then
    litellm_port=$(free_port)
    mkdir -p "$work/litellm"
    cat >"$work/litellm/config.yaml" <<CONF
model_list:
  - model_name: bench-model
    litellm_params: {model: openai/gpt-4o-mini, api_base: "$upstream_base", api_key: mock-key}
litellm_settings:
  telemetry: false
  set_verbose: false
general_settings:
  master_key: "$master_key"
CONF
    # No DATABASE_URL: no DB at all. Local cost map: no fetch from the internet at import.
    start litellm env -u DATABASE_URL -u DIRECT_URL \
        LITELLM_LOG=ERROR LITELLM_LOCAL_MODEL_COST_MAP=True LITELLM_TELEMETRY=False \
        DISABLE_ADMIN_UI=True NO_DOCS=True PYTHONUNBUFFERED=1 \
        "$bench/.venv-litellm/bin/litellm" --config "$work/litellm/config.yaml" \
            --host 127.0.0.1 --port "$litellm_port" --num_workers "$LITELLM_WORKERS"
    litellm_pid=$started_pid
    litellm_url="http://127.0.0.1:$litellm_port"
fi

# ---- readiness and a correctness check for each target ----------------------------------------
body_upstream='{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Say hello"}],"max_tokens":16}'
body_gateway='{"model":"bench-model","messages":[{"role":"user","content":"Say hello"}],"max_tokens":16}'
stream_upstream='{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Say hello"}],"max_tokens":16,"stream":true}'
stream_gateway='{"model":"bench-model","messages":[{"role":"user","content":"Say hello"}],"max_tokens":16,"stream":true,"stream_options":{"include_usage":true}}'

targets=(direct nginx tollgate)
declare -A url body sbody auth
url[direct]="$upstream_base/chat/completions";             body[direct]=$body_upstream;  sbody[direct]=$stream_upstream;  auth[direct]=""
url[nginx]="http://127.0.0.1:$nginx_port/bench/v1/chat/completions"; body[nginx]=$body_upstream; sbody[nginx]=$stream_upstream; auth[nginx]=""
url[tollgate]="$tollgate_url/v1/chat/completions";         body[tollgate]=$body_gateway; sbody[tollgate]=$stream_gateway; auth[tollgate]="Authorization: Bearer $master_key"
if [[ -n "$litellm_url" ]]; then
    url[litellm]="$litellm_url/v1/chat/completions";       body[litellm]=$body_gateway;  sbody[litellm]=$stream_gateway;  auth[litellm]="Authorization: Bearer $master_key"
fi

check() {  # check TARGET: one plain and one streamed call must answer 200 with a completion
    local t=$1 out code
    local -a h=(-H 'Content-Type: application/json')
    [[ -n "${auth[$t]}" ]] && h+=(-H "${auth[$t]}")
    out="$work/check-$t.txt"
    code=$(curl -sS -o "$out" -w '%{http_code}' --max-time 20 "${h[@]}" -d "${body[$t]}" "${url[$t]}") || code=000
    [[ "$code" == 200 ]] && grep -q '"chat.completion"' "$out" \
        || { echo "--- $t answered $code:" >&2; head -c 600 "$out" >&2; echo >&2; return 1; }
    code=$(curl -sS -N -o "$out" -w '%{http_code}' --max-time 20 "${h[@]}" -d "${sbody[$t]}" "${url[$t]}") || code=000
    [[ "$code" == 200 ]] && grep -q '^data: \[DONE\]' "$out" \
        || { echo "--- $t (stream) answered $code:" >&2; head -c 600 "$out" >&2; echo >&2; return 1; }
}

for t in direct nginx tollgate; do
    ok=0
    for _ in $(seq 1 50); do check "$t" 2>/dev/null && { ok=1; break; }; sleep 0.2; done
    [[ $ok == 1 ]] || { check "$t" || true; tail -20 "$work/$t.err" >&2 2>/dev/null || true; die "$t does not answer correctly at ${url[$t]}"; }
done
say "direct, nginx and tollgate answer 200 (plain and streamed)"

if [[ -n "$litellm_url" ]]; then
    say "waiting for LiteLLM at $litellm_url (up to 90 s)"
    ready=0
    for _ in $(seq 1 180); do
        if curl -sf -o /dev/null --max-time 2 "$litellm_url/health/liveliness"; then ready=1; break; fi
        kill -0 "$litellm_pid" 2>/dev/null || break
        sleep 0.5
    done
    if [[ $ready == 1 ]] && check litellm; then
        targets+=(litellm)
        say "litellm answers 200 ($(( $(date +%s) - started_at ))s since start)"
    else
        tail -30 "$work/litellm.err" >&2 || true
        die "LiteLLM did not become ready (set SKIP_LITELLM=1 to run without it)"
    fi
fi

# ---- load --------------------------------------------------------------------------------------
proc_group() {  # the process group whose CPU time is charged to a target's proxy hop
    case $1 in nginx) echo "$nginx_pid" ;; tollgate) echo "$tollgate_pid" ;; litellm) echo "$litellm_pid" ;; *) echo "" ;; esac
}

# oha_run TARGET C DURATION OUTFILE [extra oha args]
oha_run() {
    local t=$1 c=$2 d=$3 out=$4; shift 4
    local -a h=(-H 'Content-Type: application/json')
    [[ -n "${auth[$t]}" ]] && h+=(-H "${auth[$t]}")
    on_load_cpus "$oha" --no-tui --output-format json -z "${d}s" -c "$c" -m POST "${h[@]}" \
        -d "${body[$t]}" "$@" "${url[$t]}" >"$out" 2>"$out.err" \
        || { cat "$out.err" >&2; die "oha failed against $t"; }
}

warmup() {
    local t=$1 d=2
    [[ $t == litellm ]] && d=3
    oha_run "$t" 16 "$d" "$work/warmup-$t.json"
}

rss_tollgate_idle=$(status_kib "$tollgate_pid" VmRSS)
say "warming up: ${targets[*]}"
for t in "${targets[@]}"; do warmup "$t"; done
rss_tollgate_warm=$(status_kib "$tollgate_pid" VmRSS)

# Process-group CPU accounting. scan_groups sets GT[pgid] = utime+stime ticks of every group we
# started, in one pass over /proc. sys_busy sets REPLY to the machine's busy ticks (all cores, from
# /proc/stat); self_ticks sets REPLY to this script's own plus its reaped children's ticks (so a
# finished oha run is in there). Busy minus all of ours is what other processes on the machine
# (other people's builds) took during a run: reported, as a noise indicator, per run.
declare -A GT
scan_groups() {
    GT=()
    local g f line rest
    for g in "${groups[@]}"; do GT[$g]=0; done
    for f in /proc/[0-9]*/stat; do
        { read -r line <"$f"; } 2>/dev/null || continue
        rest=${line##*) }
        # shellcheck disable=SC2086
        set -- $rest
        [[ -n "${GT[$3]+x}" ]] && GT[$3]=$(( GT[$3] + ${12} + ${13} ))
    done
    return 0
}
sys_busy() {
    local cpu u n s i w irq sirq st rest
    read -r cpu u n s i w irq sirq st rest </proc/stat
    REPLY=$(( u + n + s + irq + sirq + st ))
}
self_ticks() {
    local line rest
    read -r line <"/proc/$$/stat"
    rest=${line##*) }
    # shellcheck disable=SC2086
    set -- $rest
    REPLY=$(( ${12} + ${13} + ${14} + ${15} ))
}

# measure TARGET C ROUND DURATION: one oha run plus CPU accounting of the proxy, the upstream and
# everything else on the machine.
manifest="$work/runs.jsonl"
measure() {
    local t=$1 c=$2 r=$3 d=$4 pg out g s0 s1 b0 b1 ours=0
    local -A g0
    pg=$(proc_group "$t")
    out="$work/raw/$t-c$c-r$r.json"
    scan_groups; for g in "${!GT[@]}"; do g0[$g]=${GT[$g]}; done
    self_ticks; s0=$REPLY; sys_busy; b0=$REPLY
    oha_run "$t" "$c" "$d" "$out"
    sys_busy; b1=$REPLY; self_ticks; s1=$REPLY
    local extra=""
    if [[ $t == tollgate ]]; then
        extra=",\"tollgate_vmrss_kib\":$(status_kib "$tollgate_pid" VmRSS),\"tollgate_vmhwm_kib\":$(status_kib "$tollgate_pid" VmHWM)"
    fi
    if [[ -n "$pg" ]]; then extra+=",\"proxy_rss_kib\":$(group_rss_kib "$pg")"; fi
    scan_groups
    for g in "${!GT[@]}"; do ours=$(( ours + GT[$g] - ${g0[$g]:-0} )); done
    ours=$(( ours + s1 - s0 ))
    local proxy_ticks=0 drain_ticks=0 drain_ms=0
    if [[ -n "$pg" ]]; then proxy_ticks=$(( GT[$pg] - ${g0[$pg]} )); fi
    # Work a proxy defers past the answer (Tollgate's batched spend-log writes) must neither be
    # left out of its cost nor land on the next target's run: wait until it is idle again (under
    # ~5% of a core for 0.5 s, at most DRAIN_MAX s) and charge that CPU to it.
    if [[ -n "$pg" ]]; then
        local prev=${GT[$pg]} quiet=0 t0 now
        t0=$(date +%s%N)
        while (( quiet < 2 )); do
            sleep 0.25
            scan_groups
            if (( GT[$pg] - prev <= 1 )); then quiet=$(( quiet + 1 )); else quiet=0; fi
            prev=${GT[$pg]}
            now=$(date +%s%N)
            if (( (now - t0) / 1000000 >= DRAIN_MAX * 1000 )); then break; fi
        done
        drain_ticks=$(( GT[$pg] - ${g0[$pg]} - proxy_ticks ))
        drain_ms=$(( (now - t0) / 1000000 - 500 ))
        if (( drain_ms < 0 )); then drain_ms=0; fi
    fi
    printf '{"target":"%s","c":%s,"round":%s,"duration_s":%s,"file":"%s","proxy_cpu_ticks":%s,"proxy_drain_ticks":%s,"drain_ms":%s,"upstream_cpu_ticks":%s,"loadgen_cpu_ticks":%s,"busy_ticks":%s,"other_cpu_ticks":%s%s}\n' \
        "$t" "$c" "$r" "$d" "${out#"$work"/}" "$proxy_ticks" "$drain_ticks" "$drain_ms" "$(( GT[$mock_pid] - ${g0[$mock_pid]} ))" \
        "$(( s1 - s0 ))" "$(( b1 - b0 ))" "$(( b1 - b0 - ours ))" "$extra" >>"$manifest"
    local drained=""
    if (( drain_ms >= 1000 )); then drained=", busy for $(( drain_ms / 1000 )) s more after the load"; fi
    say "  $t c=$c round $r: $(python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["summary"]; print("%.0f req/s" % s["requestsPerSec"])' "$out" 2>/dev/null || echo '?'), other processes $(( 100 * (b1 - b0 - ours) / (d * ncpu * $(getconf CLK_TCK)) ))% of the machine$drained"
}

# Rounds interleave the targets level by level, so that a burst of background load (other builds on
# this machine) hits all of them alike instead of one; LiteLLM runs once, in round 1.
for r in $(seq 1 "$ROUNDS"); do
    say "round $r/$ROUNDS (${DURATION}s per run)"
    for c in $LEVELS; do
        for t in direct nginx tollgate; do measure "$t" "$c" "$r" "$DURATION"; done
        if [[ $r == 1 && " ${targets[*]} " == *" litellm "* ]]; then measure litellm "$c" 1 "$LITELLM_DURATION"; fi
    done
done
rss_tollgate_after_c64=$(status_kib "$tollgate_pid" VmRSS)

# ---- streaming: time to first event ------------------------------------------------------------
say "streaming time to first event (${TTFE_N} sequential streams per target)"
for t in "${targets[@]}"; do
    n=$TTFE_N; [[ $t == litellm ]] && n=$(( TTFE_N / 4 ))
    hdr=(); [[ -n "${auth[$t]}" ]] && hdr=(--header "${auth[$t]}")
    on_load_cpus python3 "$bench/ttfe.py" --url "${url[$t]}" "${hdr[@]}" --body "${sbody[$t]}" \
        -n "$n" --warmup 10 --max-seconds 20 >"$work/raw/ttfe-$t.json" \
        || die "ttfe.py failed against $t"
done

rss_tollgate_end=$(status_kib "$tollgate_pid" VmRSS)
hwm_tollgate_end=$(status_kib "$tollgate_pid" VmHWM)
threads_tollgate=$(status_kib "$tollgate_pid" Threads)
kill -0 "$tollgate_pid" 2>/dev/null || die "tollgate died during the run"

# ---- report ------------------------------------------------------------------------------------
cat >"$work/meta.json" <<JSON
{
  "date_utc": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
  "nproc": $ncpu,
  "cpu_model": "$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)",
  "mem_total_kib": $(awk '/^MemTotal:/ {print $2}' /proc/meminfo),
  "kernel": "$(uname -r)",
  "loadavg_before": "$load_before",
  "loadavg_after": "$(cut -d' ' -f1-3 /proc/loadavg)",
  "clk_tck": $(getconf CLK_TCK),
  "pin": "$( [[ -n "$server_cpus" ]] && echo "servers on cpu $server_cpus, oha on cpu $load_cpus" || echo "none")",
  "duration_s": $DURATION,
  "rounds": $ROUNDS,
  "litellm_duration_s": $LITELLM_DURATION,
  "levels": [$(echo "$LEVELS" | sed 's/ \+/,/g')],
  "nginx_workers": "$NGINX_WORKERS",
  "nginx_worker_count": $(ps -o pid= --ppid "$nginx_pid" | wc -l),
  "litellm_workers": "$LITELLM_WORKERS",
  "versions": {
    "oha": "$("$oha" --version | awk '{print $2}')",
    "nginx": "$("$nginx_bin" -v 2>&1 | sed 's|.*/||')",
    "litellm": "$( [[ -n "$litellm_url" ]] && "$bench/.venv-litellm/bin/python" -c 'import importlib.metadata as m; print(m.version("litellm"))' || echo none)",
    "tollgate": "$("$tollgate_bin" --version 2>/dev/null | awk '{print $2}')"
  },
  "tollgate_memory_kib": {
    "vmrss_idle": ${rss_tollgate_idle:-0},
    "vmrss_after_warmup": ${rss_tollgate_warm:-0},
    "vmrss_after_c64": ${rss_tollgate_after_c64:-0},
    "vmrss_end": ${rss_tollgate_end:-0},
    "vmhwm": ${hwm_tollgate_end:-0},
    "threads": ${threads_tollgate:-0}
  },
  "tollgate_stderr_lines": $(wc -l <"$work/tollgate.err"),
  "elapsed_s": $(( $(date +%s) - started_at ))
}
JSON
python3 "$bench/report.py" --work "$work" --out "$results"
# The raw material (oha JSON, logs, generated configs) stays for inspection; git ignores *.tmp.
rm -rf "$results/raw.tmp" && cp -r "$work" "$results/raw.tmp" && rm -f "$results/raw.tmp/tollgate/tollgate.db"*
[[ -s "$work/tollgate.err" ]] && { say "tollgate wrote to stderr (first lines):"; head -5 "$work/tollgate.err" >&2; }
say "done in $(( $(date +%s) - started_at ))s: $results/latest.md, $results/latest.json"
