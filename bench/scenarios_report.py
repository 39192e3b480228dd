#!/usr/bin/env python3
"""Turns one bench/scenarios.sh run into bench/results/latest-scenarios.md and .json, and prints the
markdown. Stdlib only; per-run parsing and medians are report.py's.

    scenarios_report.py --work /tmp/tollgate-bench.XXXX --out bench/results
"""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from report import aggregate, fmt, load_run, median  # noqa: E402

TARGETS = ["master", "vkey", "budget", "guard-off", "guard-on"]
DESCRIPTION = {
    "master": "master key, guardrails off (A)",
    "vkey": "virtual key, no limits (A)",
    "budget": "virtual key, budget + rpm + tpm (A)",
    "guard-off": "master key, guardrails off (C)",
    "guard-on": "master key, guardrails on (B)",
}
# (issue, what, numerator, denominator, goal): numerator rps / denominator rps >= goal
RATIOS = [
    (4, "virtual key / master key", "vkey", "master", 0.95),
    (5, "budgeted + rate-limited key / unlimited key", "budget", "vkey", 0.90),
    (7, "guardrails on / off", "guard-on", "guard-off", 0.90),
]


def cpu_us(runs, field, clk_tck):
    ok = sum(r["ok"] for r in runs)
    ticks = sum(r[field] or 0 for r in runs)
    return 1e6 * ticks / clk_tck / ok if ok else None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--work", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    with open(os.path.join(args.work, "meta.json")) as f:
        meta = json.load(f)
    clk_tck = meta.get("clk_tck", 100)
    ncpu = meta.get("nproc", 1)
    grouped = {}
    with open(os.path.join(args.work, "runs.jsonl")) as f:
        for line in f:
            if line.strip():
                rec = json.loads(line)
                run = load_run(rec, args.work, ncpu, clk_tck)
                # all CPU this run cost on the machine, per answered request: oha + mock + proxy
                run["total_ticks"] = (rec.get("loadgen_cpu_ticks") or 0) + run["upstream_cpu_ticks"] \
                    + run["proxy_cpu_ticks"] + run["proxy_drain_ticks"]
                grouped.setdefault((rec["target"], rec["c"]), []).append(run)
    levels = sorted({c for _, c in grouped})

    agg = {}
    for (t, c), runs in grouped.items():
        a = aggregate(runs, clk_tck)
        a["total_cpu_us_per_req"] = cpu_us(runs, "total_ticks", clk_tck)
        agg[(t, c)] = a

    ratios = []
    for issue, what, num, den, goal in RATIOS:
        for c in levels:
            if (num, c) not in grouped or (den, c) not in grouped:
                continue
            by_round = {r["round"]: r["rps"] for r in grouped[(den, c)]}
            per_round = [r["rps"] / by_round[r["round"]] for r in grouped[(num, c)]
                         if by_round.get(r["round"])]
            value = median(per_round)
            n_cpu, d_cpu = agg[(num, c)]["total_cpu_us_per_req"], agg[(den, c)]["total_cpu_us_per_req"]
            ratios.append({
                "issue": issue, "what": what, "numerator": num, "denominator": den, "c": c,
                "goal": goal, "ratio": value, "rounds": per_round,
                "met": None if value is None else value >= goal,
                # what the CPU per request predicts for a saturated machine: the same work in
                # less time per request means proportionally more requests
                "cpu_implied_ratio": (d_cpu / n_cpu) if n_cpu and d_cpu else None,
                "proxy_cpu_us": [agg[(num, c)]["proxy_cpu_us_per_req"], agg[(den, c)]["proxy_cpu_us_per_req"]],
            })

    keys = []
    try:
        with open(os.path.join(args.work, "keys-after.json")) as f:
            keys = [{"name": k["name"], "spend_usd": k.get("spend_usd"), "budget_usd": k.get("budget_usd"),
                     "rpm_limit": k.get("rpm_limit"), "tpm_limit": k.get("tpm_limit")} for k in json.load(f)]
    except (OSError, ValueError, KeyError):
        pass

    md = []
    md.append("# Tollgate scenario benchmark: auth, limits and guardrails on the request path\n")
    md.append(f"{meta['date_utc']} · {ncpu} cores ({meta.get('cpu_model', '?')}) · load avg before "
              f"{meta['loadavg_before']}, after {meta['loadavg_after']} · Tollgate {meta.get('tollgate', '?')} "
              f"(git {meta.get('git_head', '?')}, {meta.get('git_dirty_files', '?')} files modified in the tree) · "
              f"oha {meta.get('oha', '?')}\n")
    md.append("One run of `bench/scenarios.sh`: oha → Tollgate → tollgate-mock `/bench/v1`, closed loop, "
              f"{meta['duration_s']} s per run, {meta['rounds']} rounds interleaving the targets level by "
              "level (order rotated each round). Tollgate A (the key scenarios) and C have guardrails off; B "
              "is C's config with `pii: redact, injection: block (0.5)`. All use SQLite stores (spend log on) and price the "
              "model. **oha, the mock and Tollgate share these cores with other people's builds**: compare "
              "the ratios, which are medians of per-round ratios (the two targets ran back to back).\n")
    md.append("| issue | ratio | c | value | rounds | goal | | CPU-implied |")
    md.append("|---|---|---:|---:|---|---:|---|---:|")
    for r in ratios:
        rounds = ", ".join(f"{x:.2f}" for x in r["rounds"])
        met = "n/a" if r["met"] is None else ("met" if r["met"] else "**MISSED**")
        md.append(f"| #{r['issue']} | {r['what']} | {r['c']} | {fmt(r['ratio'], 3)} | {rounds} | "
                  f"≥ {r['goal']:.2f} | {met} | {fmt(r['cpu_implied_ratio'], 3)} |")
    md.append("\nCPU-implied: (oha + mock + Tollgate CPU µs per request of the denominator) / (the same of "
              "the numerator), i.e. the ratio the CPU cost predicts on a saturated machine; it does not "
              "depend on how the cores were shared.\n")
    md.append("| target | c | rps | p50 ms | p99 ms | rps spread | Tollgate CPU µs/req | all CPU µs/req | other load | non-2xx | errors |")
    md.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for c in levels:
        for t in TARGETS:
            a = agg.get((t, c))
            if not a:
                continue
            spread = f"±{a['rps_spread_pct'] / 2:.0f}%" if a["rps_spread_pct"] is not None else "–"
            other = f"{a['other_load_pct_max']:.0f}%" if a["other_load_pct_max"] is not None else "–"
            md.append(f"| {t}: {DESCRIPTION[t]} | {c} | {fmt(a['rps'], 0)} | {fmt(a['p50_ms'], 3)} | "
                      f"{fmt(a['p99_ms'], 3)} | {spread} | {fmt(a['proxy_cpu_us_per_req'], 0)} | "
                      f"{fmt(a['total_cpu_us_per_req'], 0)} | {other} | {a['non_2xx']} | {a['errors']} |")
    md.append("\nrps, p50, p99: medians over rounds; Tollgate CPU: user+system time of that Tollgate process "
              "per answered request, including work it finished after the load stopped (the spend log); "
              "other load: the largest share of the machine that processes not started by this run took "
              "during a round (above ~15% the row was disturbed).\n")
    if keys:
        md.append("Virtual keys after the run (from `tollgate keys list`): " + "; ".join(
            f"`{k['name']}` spent ${k['spend_usd']}" + (f" of ${k['budget_usd']}" if k['budget_usd'] else "")
            for k in keys) + ".\n")
    md.append(f"Run took {meta['elapsed_s']} s. Raw oha output, logs and configs: "
              "`bench/results/scenarios-raw.tmp/` (not committed).")
    text = "\n".join(md) + "\n"

    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "latest-scenarios.md"), "w") as f:
        f.write(text)
    with open(os.path.join(args.out, "latest-scenarios.json"), "w") as f:
        json.dump({
            "meta": meta, "ratios": ratios, "keys": keys,
            "targets": [{"target": t, "c": c, **{k: v for k, v in a.items()}}
                        for (t, c), a in sorted(agg.items(), key=lambda kv: (kv[0][1], TARGETS.index(kv[0][0])))],
        }, f, indent=1, sort_keys=True)
    print(text)


if __name__ == "__main__":
    main()
