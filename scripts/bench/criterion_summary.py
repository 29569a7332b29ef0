#!/usr/bin/env python3
"""Summarises `cargo bench -p din-aggregate --bench fedavg` as GB/s with ratios.

For every shape it prints FedAvg (rayon pool and one thread) and the memcpy baseline of
the same run, as median and as best sample (the machine may be shared: the best sample is
the least disturbed one), and, given numpy results from
`scripts/bench/fedavg_numpy.py --json FILE`, the speed-up over `np.average`.
GB/s = input bytes (N * P * 4) / time / 1e9.

Usage: scripts/bench/criterion_summary.py [--target DIR] [--numpy FILE]
(DIR defaults to $CARGO_TARGET_DIR, else ./target; results are in DIR/criterion/fedavg.)
"""

import argparse
import json
import os
import pathlib
import re

parser = argparse.ArgumentParser()
parser.add_argument("--target", default=os.environ.get("CARGO_TARGET_DIR", "target"))
parser.add_argument("--numpy", help="JSON written by fedavg_numpy.py --json")
args = parser.parse_args()

rows = {}
for sample_file in pathlib.Path(args.target, "criterion", "fedavg").glob("*/*/new/sample.json"):
    series, shape = sample_file.parts[-4], sample_file.parts[-3]
    count, params = map(int, re.match(r"N(\d+)xP(\d+)", shape).groups())
    sample = json.loads(sample_file.read_text())
    per_iteration = sorted(t / n for t, n in zip(sample["times"], sample["iters"]))
    median_ns = per_iteration[len(per_iteration) // 2]
    best_ns = per_iteration[0]
    nbytes = count * params * 4
    rows.setdefault((count, params), {})[series] = (nbytes / median_ns, nbytes / best_ns)

numpy = {}
if args.numpy:
    for entry in json.loads(pathlib.Path(args.numpy).read_text()):
        if entry["method"] == "np.average":
            numpy[(entry["count"], entry["params"])] = (
                entry["bytes"] / entry["median_s"] / 1e9,
                entry["bytes"] / entry["best_s"] / 1e9,
            )

nan = (float("nan"), float("nan"))
print("GB/s as median / best sample")
print(f"{'shape':>14} {'fedavg':>13} {'1 thread':>13} {'memcpy':>13} {'numpy':>11}"
      f" {'fedavg/memcpy':>14} {'fedavg/numpy':>13}")
for (count, params), series in sorted(rows.items()):
    fedavg, single, memcpy = (series.get(k, nan) for k in ("fedavg", "fedavg_1_thread", "memcpy"))
    np_rate = numpy.get((count, params), nan)
    pair = lambda v: f"{v[0]:5.2f}/{v[1]:5.2f}"
    print(f"{f'N{count}xP{params}':>14} {pair(fedavg):>13} {pair(single):>13} {pair(memcpy):>13}"
          f" {pair(np_rate):>11} {fedavg[0] / memcpy[0]:6.0%}/{fedavg[1] / memcpy[1]:5.0%}"
          f" {fedavg[0] / np_rate[0]:5.1f}x/{fedavg[1] / np_rate[1]:4.1f}x")
