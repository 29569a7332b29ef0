#!/usr/bin/env python3
"""Summarises scripts/bench/ocw-aggregate.sh: per rule and point, the median duty time in
wasm (din-node benchmark pallet JSON, nanoseconds) and natively (evaluator_duty JSON lines,
seconds), and their ratio.

Usage: scripts/bench/ocw_aggregate_summary.py OUT_DIR
"""

import json
import pathlib
import statistics
import sys

out = pathlib.Path(sys.argv[1])
wasm = {}
for path in sorted(out.glob("wasm-*.json")):
    for bench in json.loads(path.read_text()):
        rule = bench["benchmark"].removeprefix("offchain_aggregate_")
        for result in bench["time_results"]:
            components = dict(result["components"])
            key = (rule, components["n"], components["p"])
            wasm.setdefault(key, []).append(result["extrinsic_time"] / 1e9)
native = {}
for line in (out / "native.jsonl").read_text().splitlines():
    if line.startswith("{"):
        run = json.loads(line)
        native[(run["rule"], run["n"], run["p"])] = run["seconds"]

print(f"{'rule':<11} {'n':>3} {'p':>7} {'wasm ms':>10} {'native ms':>10} {'wasm/native':>12}")
for key in sorted(wasm, key=lambda k: (k[0], k[1] * k[2], k[1])):
    rule, n, p = key
    w = statistics.median(wasm[key])
    line = f"{rule:<11} {n:>3} {p:>7} {w * 1e3:>10.1f}"
    if key in native:
        v = statistics.median(native[key])
        line += f" {v * 1e3:>10.1f} {w / v:>12.2f}"
    print(line)
