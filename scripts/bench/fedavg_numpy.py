#!/usr/bin/env python3
"""FedAvg throughput in numpy, side by side with `cargo bench -p din-aggregate --bench fedavg`.

Measures what Flower's FedAvg does on the server: a sample-weighted average of N
parameter vectors of P float32 values,

  * `np.average(stack, axis=0, weights=n)` on a pre-stacked (N, P) float32 array, and
  * Flower's own `aggregate()` formulation (`flwr/server/strategy/aggregate.py`): scale
    each client's arrays by its example count, `reduce(np.add, ...)`, divide by the total.

Throughput is input bytes (N * P * 4) per second, the same definition the Rust bench
uses, so the GB/s columns compare directly.

Usage: scripts/bench/fedavg_numpy.py [--max-params 1000000] [--repeats 5] [--json OUT]
(`--json` writes the results for `scripts/bench/criterion_summary.py --numpy OUT`.)
numpy comes from the repository's virtual environment (.venv, gitignored); the script
creates it and installs numpy there with pip if needed, then re-runs itself inside it.
"""

import argparse
import json
import os
import pathlib
import subprocess
import sys
import time

REPO = pathlib.Path(__file__).resolve().parents[2]
VENV = REPO / ".venv"


def ensure_numpy():
    try:
        import numpy  # noqa: F401
        return
    except ImportError:
        pass
    python = VENV / "bin" / "python"
    if pathlib.Path(sys.executable).resolve() == python.resolve():
        sys.exit("numpy is missing from .venv and could not be imported")
    if not python.exists():
        subprocess.check_call([sys.executable, "-m", "venv", str(VENV)])
    subprocess.check_call([str(python), "-m", "pip", "install", "--quiet", "numpy"])
    os.execv(str(python), [str(python), *sys.argv])


def best_seconds(function, repeats):
    """Fastest of `repeats` timed calls (after one warm-up), like criterion's lower bound."""
    function()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    times.sort()
    return times[0], times[len(times) // 2]


def main():
    ensure_numpy()
    import numpy as np
    from functools import reduce

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-params", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", help="also write results to this file")
    args = parser.parse_args()
    results = []

    rng = np.random.default_rng(7)
    print(f"numpy {np.__version__}, threads: numpy's default (elementwise ops are single-threaded)")
    print(f"{'shape':>16} {'method':>14} {'best ms':>9} {'median ms':>10} {'GB/s (best)':>12}")
    for count in (10, 100):
        for params in (10_000, 100_000, 1_000_000):
            if params > args.max_params:
                continue
            stack = rng.uniform(-16.0, 16.0, size=(count, params)).astype(np.float32)
            weights = rng.integers(1, 2_000, size=count)
            arrays = [stack[i] for i in range(count)]
            total = int(weights.sum())

            def np_average():
                return np.average(stack, axis=0, weights=weights)

            def flower_aggregate():
                weighted = [layer * n for layer, n in zip(arrays, weights)]
                return reduce(np.add, weighted) / total

            nbytes = count * params * 4
            for name, function in (("np.average", np_average), ("flower", flower_aggregate)):
                best, median = best_seconds(function, args.repeats)
                results.append({"count": count, "params": params, "method": name,
                                "best_s": best, "median_s": median, "bytes": nbytes})
                print(
                    f"{f'N{count}xP{params}':>16} {name:>14} {best * 1e3:9.3f} {median * 1e3:10.3f}"
                    f" {nbytes / best / 1e9:12.3f}"
                )
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
