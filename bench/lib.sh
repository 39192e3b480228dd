# bench/lib.sh: shared by bench/run.sh and bench/scenarios.sh (sourced, not run). The caller sets
# `bench`, `repo`, `results` and the knobs (DURATION, PIN, SKIP_BUILD, BIN_DIR, DRAIN_MAX, ...)
# first. Sourcing it creates the run's temporary directory ($work) and installs the exit trap that
# stops every process group started with `start`.
# shellcheck shell=bash

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

# ---- tools and binaries -------------------------------------------------------------------------
# install_and_build: runs setup.sh (SKIP_LITELLM in the environment skips LiteLLM), builds the
# release binaries unless SKIP_BUILD=1, and sets $oha, $tollgate_bin, $mock_bin, $passthrough_bin
# (tollgate-mock's second binary, built by the same `-p tollgate-mock`; only run.sh uses it and
# checks that it exists).
install_and_build() {
    "$bench/setup.sh" >&2
    oha="$bench/.tools/bin/oha"
    if [[ "$SKIP_BUILD" != 1 ]]; then
        say "building tollgate and tollgate-mock (release, nice'd)"
        (cd "$repo" && nice -n 19 cargo build --release --locked -p tollgate -p tollgate-mock >&2) \
            || die "cargo build --release -p tollgate -p tollgate-mock failed"
    fi
    tollgate_bin="$BIN_DIR/tollgate"
    mock_bin="$BIN_DIR/tollgate-mock"
    passthrough_bin="$BIN_DIR/tollgate-passthrough"
    [[ -x "$tollgate_bin" && -x "$mock_bin" ]] || die "missing $tollgate_bin or $mock_bin"
}

# start_mock: starts tollgate-mock; sets $mock_pid, $mock_port and $upstream_base (its /bench/v1).
start_mock() {
    start mock "$mock_bin" --port 0 --api-key mock-key; mock_pid=$started_pid
    local mock_url
    mock_url=$(wait_line mock "$mock_pid" 'http://127\.0\.0\.1:[0-9]+' 20)
    mock_port=${mock_url##*:}
    upstream_base="$mock_url/bench/v1"
    say "upstream: $upstream_base (pid $mock_pid)"
}

# warn_if_busy: says which other processes are using a lot of CPU right now.
warn_if_busy() {
    local busy
    busy=$(ps -eo pcpu=,comm= | awk '$1 > 20 {printf "%s(%d%%) ", $2, $1}')
    if [[ -n "$busy" ]]; then say "warning: other busy processes right now: $busy-- numbers will be noisy"; fi
}

# ---- targets ------------------------------------------------------------------------------------
# A target is a name with url[T], body[T] (the JSON sent by oha), sbody[T] (a streaming body, for
# check) and auth[T] (an extra header line, or empty).
declare -A url body sbody auth

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

# oha_run TARGET C DURATION OUTFILE [extra oha args]
oha_run() {
    local t=$1 c=$2 d=$3 out=$4; shift 4
    local -a h=(-H 'Content-Type: application/json')
    [[ -n "${auth[$t]}" ]] && h+=(-H "${auth[$t]}")
    on_load_cpus "$oha" --no-tui --output-format json -z "${d}s" -c "$c" -m POST "${h[@]}" \
        -d "${body[$t]}" "$@" "${url[$t]}" >"$out" 2>"$out.err" \
        || { cat "$out.err" >&2; die "oha failed against $t"; }
}

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
# everything else on the machine; appends one JSON line to $manifest. The caller defines
# proc_group TARGET (prints the process group charged for the target's proxy hop, or nothing) and
# may redefine measure_extra TARGET (prints more JSON fields, each starting with a comma).
measure_extra() { :; }
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
    local extra
    extra=$(measure_extra "$t")
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
