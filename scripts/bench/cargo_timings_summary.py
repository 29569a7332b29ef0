#!/usr/bin/env python3
"""Where a cargo build's time goes, from its `--timings` report, as a markdown table.

    cargo build --timings …   # writes $CARGO_TARGET_DIR/cargo-timings/cargo-timing-*.html
    scripts/bench/cargo_timings_summary.py REPORT.html [--only-in CRATES.txt] [--top N]

Prints the build's wall time, the sum of its units' durations (on 2 cores a CPU-bound
build takes about half that sum in wall time), the longest units, and the units grouped:
build scripts that compile C/C++ or a nested wasm runtime, DIN's own crates, test
targets. `--only-in FILE` (one `name version` per line, e.g. from comparing two
`cargo tree` outputs) adds the sum over those crates: what leaving them out would save.
"""
import argparse
import json
import re
import sys

DIN_PREFIXES = ("din-", "pallet-din-")


def load(path):
    html = open(path, encoding="utf-8").read()
    units = json.loads(re.search(r"const UNIT_DATA = (\[.*?\]);\n", html, re.S).group(1))
    wall = re.search(r"Total time:</td><td>([0-9.]+)s", html)
    return units, float(wall.group(1)) if wall else None


def label(unit):
    target = (unit.get("target") or "").strip()
    return f"{unit['name']} {unit['version']}{' ' + target if target else ''}"


def minutes(seconds):
    return f"{seconds / 60:.1f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report")
    parser.add_argument("--only-in", help="file of `name version` lines")
    parser.add_argument("--top", type=int, default=12)
    args = parser.parse_args()
    units, wall = load(args.report)
    total = sum(u["duration"] for u in units)

    print(f"Build wall time: {minutes(wall)} min; {len(units)} units, "
          f"sum of unit durations {minutes(total)} min.\n")
    print("| longest units | min |\n|---|---|")
    for unit in sorted(units, key=lambda u: -u["duration"])[: args.top]:
        print(f"| {label(unit)} | {minutes(unit['duration'])} |")

    groups = {
        "build scripts (C/C++ libraries, nested wasm runtimes)":
            lambda u: "build-script (run)" in (u.get("target") or ""),
        "DIN's own crates (all targets)": lambda u: u["name"].startswith(DIN_PREFIXES),
        "test targets (all crates)": lambda u: "(test)" in (u.get("target") or ""),
    }
    if args.only_in:
        names = {line.split()[0] for line in open(args.only_in) if line.strip()}
        groups[f"crates listed in {args.only_in.split('/')[-1]}"] = lambda u: u["name"] in names
    print("\n| group | units | sum, min | share of the sum |\n|---|---|---|---|")
    for name, member in groups.items():
        chosen = [u for u in units if member(u)]
        seconds = sum(u["duration"] for u in chosen)
        print(f"| {name} | {len(chosen)} | {minutes(seconds)} | {100 * seconds / total:.0f}% |")


if __name__ == "__main__":
    sys.exit(main())
