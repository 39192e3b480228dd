#!/usr/bin/env python3
"""Time to first event of a streaming chat completion (stdlib only).

Opens one keep-alive connection (as an SDK's pool would) and sends N sequential streaming requests;
for each, measures from just before the request is written to the arrival of the first SSE line that
starts with `data:`, then drains the rest of the stream so the connection can be reused. Prints one
JSON object: {"n", "errors", "p50_ms", "p90_ms", "p99_ms", "min_ms", "events_per_stream"}.

    ttfe.py --url http://127.0.0.1:PORT/v1/chat/completions --header 'Authorization: Bearer K' \
            --body '{"model":"m","stream":true,...}' -n 200 --warmup 20
"""

import argparse
import http.client
import json
import sys
import time
import urllib.parse


def percentile(sorted_values, q):
    if not sorted_values:
        return None
    # nearest-rank, as load generators usually report
    rank = max(1, int(round(q / 100.0 * len(sorted_values) + 0.4999)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True)
    parser.add_argument("--header", action="append", default=[], help="'Name: value', repeatable")
    parser.add_argument("--body", required=True)
    parser.add_argument("-n", type=int, default=200, help="measured requests")
    parser.add_argument("--warmup", type=int, default=20, help="unmeasured requests first")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per request")
    parser.add_argument("--max-seconds", type=float, default=30.0, help="stop measuring after this long")
    args = parser.parse_args()

    url = urllib.parse.urlsplit(args.url)
    if url.scheme != "http" or url.hostname not in ("127.0.0.1", "localhost", "::1"):
        sys.exit("ttfe.py: only http://127.0.0.1 targets are allowed")
    path = url.path + (("?" + url.query) if url.query else "")
    headers = {"Content-Type": "application/json", "Accept": "text/event-stream"}
    for h in args.header:
        name, _, value = h.partition(":")
        headers[name.strip()] = value.strip()
    body = args.body.encode()

    conn = None
    samples, errors, events = [], 0, []
    started = time.monotonic()
    for i in range(args.warmup + args.n):
        if i >= args.warmup and time.monotonic() - started > args.max_seconds:
            break
        try:
            if conn is None:
                conn = http.client.HTTPConnection(url.hostname, url.port, timeout=args.timeout)
                conn.connect()
            t0 = time.perf_counter()
            conn.request("POST", path, body=body, headers=headers)
            resp = conn.getresponse()
            if resp.status != 200:
                resp.read()
                raise RuntimeError(f"status {resp.status}")
            first = None
            count = 0
            while True:
                line = resp.readline()
                if not line:
                    break
                if line.startswith(b"data:"):
                    if first is None:
                        first = time.perf_counter() - t0
                    count += 1
            resp.close()  # marks the response done, so the connection can carry the next request
            if first is None:
                raise RuntimeError("no data: line")
            if resp.will_close:
                conn.close()
                conn = None
            if i >= args.warmup:
                samples.append(first * 1000.0)
                events.append(count)
        except Exception as exc:  # noqa: BLE001 -- any failure counts as an error and resets the connection
            if i >= args.warmup:
                errors += 1
            if errors == 1 and i >= args.warmup:
                print(f"ttfe.py: first error: {exc!r}", file=sys.stderr)
            if conn is not None:
                conn.close()
            conn = None
    if conn is not None:
        conn.close()
    samples.sort()
    r = lambda v: None if v is None else round(v, 3)  # noqa: E731
    print(json.dumps({
        "n": len(samples),
        "errors": errors,
        "p50_ms": r(percentile(samples, 50)),
        "p90_ms": r(percentile(samples, 90)),
        "p99_ms": r(percentile(samples, 99)),
        "min_ms": r(samples[0] if samples else None),
        "events_per_stream": (max(events) if events else 0),
    }))


if __name__ == "__main__":
    main()
