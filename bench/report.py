#!/usr/bin/env python3
"""Turns one bench/run.sh run (oha JSON files, ttfe.py output, memory and CPU samples) into
bench/results/latest.md and latest.json, and prints the markdown. Stdlib only.

    report.py --work /tmp/tollgate-bench.XXXX --out bench/results
"""

import argparse
import json
import os
import statistics
import sys

TARGETS = ["direct", "nginx", "passthrough", "tollgate", "litellm"]
PROXIES = ["nginx", "passthrough", "tollgate", "litellm"]

# The goals Tollgate is judged on (bench/README.md).
GOAL_RPS_VS_NGINX = 0.90     # Tollgate rps at c64 >= 90% of nginx's
GOAL_RPS_VS_LITELLM = 20.0   # ... and >= 20x LiteLLM's
GOAL_ADDED_P50_VS_NGINX = 2.0  # Tollgate's p50 added over direct at c1 <= 2x nginx's
GOAL_RSS_MIB = 40.0          # Tollgate's peak RSS under load < 40 MiB


def load_run(record, work, ncpu, clk_tck):
    with open(os.path.join(work, record["file"])) as f:
        oha = json.load(f)
    summary = oha["summary"]
    elapsed = summary["total"]
    codes = {int(k): v for k, v in oha.get("statusCodeDistribution", {}).items()}
    ok = sum(v for k, v in codes.items() if 200 <= k < 300)
    not_ok = sum(v for k, v in codes.items() if not 200 <= k < 300)
    errors = {k: v for k, v in oha.get("errorDistribution", {}).items() if k != "aborted due to deadline"}
    pct = oha.get("latencyPercentiles", {})
    ticks = record.get("proxy_cpu_ticks", 0)
    drain_ticks = record.get("proxy_drain_ticks", 0)
    up_ticks = record.get("upstream_cpu_ticks", 0)
    return {
        "round": record["round"],
        "rps": ok / elapsed if elapsed else 0.0,
        "p50_ms": (pct.get("p50") or 0) * 1000.0,
        "p99_ms": (pct.get("p99") or 0) * 1000.0,
        "ok": ok,
        "non_2xx": not_ok,
        "status": {str(k): v for k, v in sorted(codes.items())},
        "errors": errors,
        "proxy_cpu_ticks": ticks,
        "proxy_drain_ticks": drain_ticks,
        "drain_s": record.get("drain_ms", 0) / 1000.0,
        "upstream_cpu_ticks": up_ticks,
        "proxy_rss_kib": record.get("proxy_rss_kib"),
        "loadgen_cpu_ticks": record.get("loadgen_cpu_ticks"),
        # share of the whole machine that processes other than ours used during the run
        "other_load_pct": (100.0 * record["other_cpu_ticks"] / (record["duration_s"] * ncpu * clk_tck))
        if record.get("other_cpu_ticks") is not None else None,
        "tollgate_vmrss_kib": record.get("tollgate_vmrss_kib"),
        "tollgate_vmhwm_kib": record.get("tollgate_vmhwm_kib"),
    }


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def aggregate(runs, clk_tck):
    """Median over rounds; the spread is (max-min)/median of rps."""
    rps = [r["rps"] for r in runs]
    ok = sum(r["ok"] for r in runs)
    ticks = sum(r["proxy_cpu_ticks"] + r["proxy_drain_ticks"] for r in runs)
    drain_ticks = sum(r["proxy_drain_ticks"] for r in runs)
    up_ticks = sum(r["upstream_cpu_ticks"] for r in runs)
    med = median(rps)
    return {
        "rounds": len(runs),
        "rps": med,
        "rps_min": min(rps),
        "rps_max": max(rps),
        "rps_spread_pct": (100.0 * (max(rps) - min(rps)) / med) if med else None,
        "p50_ms": median([r["p50_ms"] for r in runs]),
        "p99_ms": median([r["p99_ms"] for r in runs]),
        "requests_ok": ok,
        "non_2xx": sum(r["non_2xx"] for r in runs),
        "errors": sum(sum(r["errors"].values()) for r in runs),
        "error_kinds": sorted({k for r in runs for k in r["errors"]}),
        # CPU time of the proxy process(es) per successful request: independent of how the two
        # cores were shared, so the steadiest cost figure on a noisy machine.
        # includes the work the proxy did after the load stopped (deferred: spend-log writes)
        "proxy_cpu_us_per_req": (1e6 * ticks / clk_tck / ok) if ok and ticks else None,
        "proxy_deferred_cpu_us_per_req": (1e6 * drain_ticks / clk_tck / ok) if ok else None,
        "drain_s": median([r["drain_s"] for r in runs]),
        "upstream_cpu_us_per_req": (1e6 * up_ticks / clk_tck / ok) if ok else None,
        "proxy_rss_kib": max((r["proxy_rss_kib"] or 0 for r in runs), default=None) or None,
        "other_load_pct": median([r["other_load_pct"] for r in runs]),
        "other_load_pct_max": max((r["other_load_pct"] for r in runs if r["other_load_pct"] is not None), default=None),
        "runs": runs,
    }


def fmt(v, digits=2):
    if v is None:
        return "–"
    if isinstance(v, float):
        if abs(v) >= 1000:
            return f"{v:,.0f}"
        if abs(v) >= 100:
            return f"{v:.0f}"
        return f"{v:.{digits}f}"
    return str(v)


def cpu_cell(t, a):
    if t == "direct" or a["proxy_cpu_us_per_req"] is None:
        return "–"
    deferred = a.get("proxy_deferred_cpu_us_per_req") or 0
    cell = fmt(a["proxy_cpu_us_per_req"], 0)
    if deferred >= 1:
        cell += f" ({deferred:.0f}, {a['drain_s']:.1f} s)"
    return cell


def verdict(ok):
    return "n/a" if ok is None else ("**met**" if ok else "**MISSED**")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--work", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    with open(os.path.join(args.work, "meta.json")) as f:
        meta = json.load(f)
    clk_tck = meta.get("clk_tck", 100)
    records = []
    with open(os.path.join(args.work, "runs.jsonl")) as f:
        for line in f:
            if line.strip():
                records.append(json.loads(line))

    grouped = {}
    for rec in records:
        grouped.setdefault((rec["target"], rec["c"]), []).append(load_run(rec, args.work, meta["nproc"], clk_tck))
    levels = sorted({c for _, c in grouped})
    targets = [t for t in TARGETS if any((t, c) in grouped for c in levels)]
    table = {t: {c: aggregate(grouped[(t, c)], clk_tck) for c in levels if (t, c) in grouped} for t in targets}

    ttfe = {}
    for t in targets:
        p = os.path.join(args.work, "raw", f"ttfe-{t}.json")
        if os.path.exists(p):
            with open(p) as f:
                ttfe[t] = json.load(f)

    def cell(t, c, key):
        return table.get(t, {}).get(c, {}).get(key)

    lo, hi = levels[0], levels[-1]
    added = {}
    for t in PROXIES:
        if cell(t, lo, "p50_ms") is not None and cell("direct", lo, "p50_ms") is not None:
            added[t] = cell(t, lo, "p50_ms") - cell("direct", lo, "p50_ms")
    def per_round(t, c, key):
        return {r["round"]: r[key] for r in table.get(t, {}).get(c, {}).get("runs", [])}

    # Per-round ratios: in a round the two targets ran back to back, so background load (other
    # builds on this machine) hit both about alike; their median is the headline number.
    rounds_t, rounds_n = per_round("tollgate", hi, "rps"), per_round("nginx", hi, "rps")
    ratio_nginx_rounds = [rounds_t[r] / rounds_n[r] for r in sorted(rounds_t) if rounds_n.get(r)]
    ratio_nginx = median(ratio_nginx_rounds)
    # The hyper pass-through (Tollgate's HTTP stack doing nothing): informational, no goal. It is the
    # floor of any gateway on this stack, so it bounds what the Tollgate / nginx goal can reach.
    rounds_p = per_round("passthrough", hi, "rps")
    pt_nginx_rounds = [rounds_p[r] / rounds_n[r] for r in sorted(rounds_p) if rounds_n.get(r)]
    pt_nginx = median(pt_nginx_rounds)
    tg_pt_rounds = [rounds_t[r] / rounds_p[r] for r in sorted(rounds_t) if rounds_p.get(r)]
    tg_pt = median(tg_pt_rounds)
    p50_d, p50_n, p50_t = per_round("direct", lo, "p50_ms"), per_round("nginx", lo, "p50_ms"), per_round("tollgate", lo, "p50_ms")
    added_ratio_rounds = [(p50_t[r] - p50_d[r]) / (p50_n[r] - p50_d[r]) for r in sorted(p50_t)
                          if r in p50_d and r in p50_n and p50_n[r] - p50_d[r] > 0]
    ratio_litellm = (cell("tollgate", hi, "rps") / cell("litellm", hi, "rps")) if cell("litellm", hi, "rps") else None
    added_ratio = median(added_ratio_rounds)
    if added_ratio is None and added.get("nginx") and "tollgate" in added:
        added_ratio = added["tollgate"] / added["nginx"]
    cpu_ratio = None
    if cell("tollgate", hi, "proxy_cpu_us_per_req") and cell("nginx", hi, "proxy_cpu_us_per_req"):
        cpu_ratio = cell("tollgate", hi, "proxy_cpu_us_per_req") / cell("nginx", hi, "proxy_cpu_us_per_req")
    mem = meta.get("tollgate_memory_kib", {})
    hwm_mib = mem.get("vmhwm", 0) / 1024.0 if mem.get("vmhwm") else None

    goals = {
        "tollgate_rps_vs_nginx_c%d" % hi: {"value": ratio_nginx, "per_round": ratio_nginx_rounds,
                                          "goal": f">= {GOAL_RPS_VS_NGINX}",
                                          "met": None if ratio_nginx is None else ratio_nginx >= GOAL_RPS_VS_NGINX},
        "passthrough_rps_vs_nginx_c%d" % hi: {"value": pt_nginx, "per_round": pt_nginx_rounds,
                                             "goal": None, "met": None},
        "tollgate_rps_vs_passthrough_c%d" % hi: {"value": tg_pt, "per_round": tg_pt_rounds,
                                                 "goal": None, "met": None},
        "tollgate_rps_vs_litellm_c%d" % hi: {"value": ratio_litellm, "goal": f">= {GOAL_RPS_VS_LITELLM}",
                                            "met": None if ratio_litellm is None else ratio_litellm >= GOAL_RPS_VS_LITELLM},
        "tollgate_added_p50_vs_nginx_c%d" % lo: {"value": added_ratio, "per_round": added_ratio_rounds,
                                                "goal": f"<= {GOAL_ADDED_P50_VS_NGINX}",
                                                "met": None if added_ratio is None else added_ratio <= GOAL_ADDED_P50_VS_NGINX},
        "tollgate_peak_rss_mib": {"value": hwm_mib, "goal": f"< {GOAL_RSS_MIB}",
                                  "met": None if hwm_mib is None else hwm_mib < GOAL_RSS_MIB},
    }

    # ---------------------------------------------------------------- markdown
    out = []
    w = out.append
    w("# Tollgate load benchmark")
    w("")
    w(f"{meta['date_utc']} · {meta['nproc']} cores ({meta['cpu_model']}) · "
      f"{meta['mem_total_kib'] // 1024} MiB · Linux {meta['kernel']} · load avg before {meta['loadavg_before']}, "
      f"after {meta['loadavg_after']}")
    w("")
    w(f"**The load generator (oha), the fake upstream, and the proxy under test all share these "
      f"{meta['nproc']} cores** (pinning: {meta['pin']}). Absolute numbers mostly measure this machine "
      f"and oha; compare the targets with each other (ratios, and the latency a hop adds over `direct`).")
    w("")
    v = meta["versions"]
    w(f"oha {v['oha']}, closed loop, HTTP/1.1 keep-alive, {meta['duration_s']} s per run, "
      f"{meta['rounds']} interleaved rounds (median shown; LiteLLM: one round of {meta['litellm_duration_s']} s). "
      f"nginx {v['nginx']} with worker_processes {meta['nginx_workers']} "
      f"({meta['nginx_worker_count']} workers), upstream keepalive. "
      f"LiteLLM {v['litellm']} with {meta['litellm_workers']} worker(s). Tollgate {v['tollgate']} "
      f"(release build, TOLLGATE_LOG=warn, SQLite store).")
    w("")
    w("| target | c | rps | p50 ms | p99 ms | rps spread | proxy CPU µs/req (deferred) | other load | errors |")
    w("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for c in levels:
        for t in targets:
            a = table[t].get(c)
            if not a:
                continue
            spread = f"±{a['rps_spread_pct'] / 2:.0f}%" if a["rounds"] > 1 and a["rps_spread_pct"] is not None else "1 run"
            errs = a["non_2xx"] + a["errors"]
            other = "–" if a["other_load_pct_max"] is None else f"{max(0.0, a['other_load_pct_max']):.0f}%"
            w(f"| {t} | {c} | {fmt(a['rps'])} | {fmt(a['p50_ms'], 3)} | {fmt(a['p99_ms'], 3)} | {spread} | "
              f"{cpu_cell(t, a)} | {other} | {errs} |")
    w("")
    w("rps, p50, p99: medians over the rounds; rps spread: ±half the (max−min)/median range; proxy CPU: "
      "user+system CPU time of the proxy's processes per answered request, including work it did after "
      "the load stopped (in brackets: that deferred part, and for how long it went on); other load: the largest share of "
      "the whole machine that processes not started by this run (other builds, …) used during any of "
      "the rounds, from /proc/stat minus our processes (approximate, ±10 points at c=1) — above ~15% "
      "that row was disturbed.")
    w("")
    w(f"Added latency over direct at c={lo} (p50): " + ", ".join(
        f"{t} {added[t] * 1000:.0f} µs" for t in PROXIES if t in added) + ".")
    w("")
    def rounds_note(values, digits):
        return " (rounds: " + ", ".join(f"{x:.{digits}f}" for x in values) + ")" if len(values) > 1 else ""

    w("| goal | value | target | |")
    w("|---|---:|---:|---|")
    w(f"| Tollgate rps / nginx rps at c={hi} | {fmt(ratio_nginx, 3)}{rounds_note(ratio_nginx_rounds, 2)} | ≥ {GOAL_RPS_VS_NGINX} | {verdict(goals['tollgate_rps_vs_nginx_c%d' % hi]['met'])} |")
    if pt_nginx is not None or tg_pt is not None:
        w(f"| pass-through rps / nginx rps at c={hi} | {fmt(pt_nginx, 3)}{rounds_note(pt_nginx_rounds, 2)} | – | info |")
        w(f"| Tollgate rps / pass-through rps at c={hi} | {fmt(tg_pt, 3)}{rounds_note(tg_pt_rounds, 2)} | – | info |")
    w(f"| Tollgate rps / LiteLLM rps at c={hi} | {fmt(ratio_litellm, 1)} | ≥ {GOAL_RPS_VS_LITELLM:.0f} | {verdict(goals['tollgate_rps_vs_litellm_c%d' % hi]['met'])} |")
    w(f"| Tollgate added p50 / nginx added p50 at c={lo} | {fmt(added_ratio, 2)}{rounds_note(added_ratio_rounds, 2)} | ≤ {GOAL_ADDED_P50_VS_NGINX} | {verdict(goals['tollgate_added_p50_vs_nginx_c%d' % lo]['met'])} |")
    w(f"| Tollgate peak RSS (VmHWM) | {fmt(hwm_mib, 1)} MiB | < {GOAL_RSS_MIB:.0f} MiB | {verdict(goals['tollgate_peak_rss_mib']['met'])} |")
    w("")
    if pt_nginx is not None:
        w(f"The pass-through (`tollgate-passthrough`: Tollgate's serving model, one current-thread tokio "
          f"runtime per core fed by one acceptor, axum on hyper's server, hyper-util's pooled client with a "
          f"pool per thread, jemalloc, forwarding without doing anything) is the floor of any "
          f"gateway on tokio+hyper: Tollgate does the same forwarding plus its own work, so it can approach it, "
          f"not beat it (beyond noise). If it is itself below "
          f"{GOAL_RPS_VS_NGINX} of nginx, the Tollgate / nginx target cannot be met by this stack; "
          f"Tollgate / pass-through is the share of that floor Tollgate keeps.")
        w("")
    if cpu_ratio:
        pt_cpu = cell("passthrough", hi, "proxy_cpu_us_per_req")
        pt_cpu_text = f", pass-through {pt_cpu:.0f} µs" if pt_cpu else ""
        w(f"CPU per request at c={hi} (the steadiest figure here, since it does not depend on how the cores were "
          f"shared): Tollgate {cell('tollgate', hi, 'proxy_cpu_us_per_req'):.0f} µs, nginx "
          f"{cell('nginx', hi, 'proxy_cpu_us_per_req'):.0f} µs ({cpu_ratio:.2f}x){pt_cpu_text}; the upstream mock "
          f"{cell('direct', hi, 'upstream_cpu_us_per_req'):.0f} µs per request when hit directly.")
        w("")
    if mem:
        w(f"Tollgate memory (from /proc/PID/status): VmRSS idle {mem['vmrss_idle'] / 1024:.1f} MiB, "
          f"after warm-up {mem['vmrss_after_warmup'] / 1024:.1f} MiB, after the last c={hi} run "
          f"{mem['vmrss_after_c64'] / 1024:.1f} MiB, at the end {mem['vmrss_end'] / 1024:.1f} MiB; "
          f"peak VmHWM {mem['vmhwm'] / 1024:.1f} MiB; {mem['threads']} threads.")
        others = [f"{t} {table[t][hi]['proxy_rss_kib'] / 1024:.0f} MiB" for t in ("nginx", "passthrough", "litellm")
                  if t in table and hi in table[t] and table[t][hi].get("proxy_rss_kib")]
        if others:
            w(f"For comparison, RSS after c={hi} (all processes): " + ", ".join(others) + ".")
        w("")
    if ttfe:
        w("Streaming, time to first `data:` event (sequential streams on one keep-alive connection, "
          "Python http.client client):")
        w("")
        w("| target | streams | p50 ms | p90 ms | p99 ms | errors |")
        w("|---|---:|---:|---:|---:|---:|")
        for t in targets:
            s = ttfe.get(t)
            if s:
                w(f"| {t} | {s['n']} | {fmt(s['p50_ms'], 3)} | {fmt(s['p90_ms'], 3)} | {fmt(s['p99_ms'], 3)} | {s['errors']} |")
        w("")
    bad = [(t, c, table[t][c]) for t in targets for c in levels
           if c in table[t] and (table[t][c]["non_2xx"] or table[t][c]["errors"])]
    for t, c, a in bad:
        w(f"⚠ {t} c={c}: {a['non_2xx']} non-2xx answers, {a['errors']} transport errors "
          f"({', '.join(a['error_kinds']) or 'status codes only'}).")
    if bad:
        w("")
    w(f"Run took {meta['elapsed_s']} s. Raw oha output, logs and generated configs: `bench/results/raw.tmp/` (not committed).")
    markdown = "\n".join(out) + "\n"

    os.makedirs(args.out, exist_ok=True)
    result = {"meta": meta, "results": {t: {str(c): a for c, a in table[t].items()} for t in targets},
              "added_p50_over_direct_ms": {t: v for t, v in added.items()}, "ttfe": ttfe, "goals": goals,
              "tollgate_cpu_per_req_vs_nginx": cpu_ratio,
              "passthrough_cpu_per_req_us_c%d" % hi: cell("passthrough", hi, "proxy_cpu_us_per_req")}
    tmp_md, tmp_json = os.path.join(args.out, "latest.md.tmp"), os.path.join(args.out, "latest.json.tmp")
    with open(tmp_md, "w") as f:
        f.write(markdown)
    with open(tmp_json, "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")
    os.replace(tmp_md, os.path.join(args.out, "latest.md"))
    os.replace(tmp_json, os.path.join(args.out, "latest.json"))
    sys.stdout.write(markdown)


if __name__ == "__main__":
    main()
