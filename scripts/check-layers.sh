#!/usr/bin/env bash
# Layering check (docs/architecture.md: dependencies point one way): no workspace crate under
# pallets/ or runtime/ may depend, directly and as a normal or build dependency, on a
# workspace crate under client/. Code the runtime shares with the client lives under
# primitives/ (the integer core is primitives/fl, din-fl). Dev-dependencies are not checked.
#
# Prints "layers ok", or each offending edge and exits 1. Reads manifests only
# (`cargo metadata --no-deps`), so it needs no build and no network.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo metadata --format-version 1 --locked --no-deps | python3 -c '
import json, os, sys

meta = json.load(sys.stdin)
root = meta["workspace_root"]
members = set(meta["workspace_members"])
packages = [p for p in meta["packages"] if p["id"] in members]

def directory(package):
    return os.path.relpath(os.path.dirname(package["manifest_path"]), root)

def layer(package):
    return directory(package).split(os.sep)[0]

by_dir = {os.path.dirname(p["manifest_path"]): p for p in packages}
violations = []
for package in packages:
    if layer(package) not in ("pallets", "runtime"):
        continue
    for dep in package["dependencies"]:
        if dep["kind"] not in (None, "build") or not dep.get("path"):
            continue
        target = by_dir.get(os.path.normpath(dep["path"]))
        if target is not None and layer(target) == "client":
            kind = dep["kind"] or "normal"
            source, sink = package["name"], target["name"]
            violations.append(
                f"  {source} ({directory(package)}) -> {sink} ({directory(target)}), "
                f"{kind} dependency"
            )

if violations:
    print("layer violation: crates under pallets/ or runtime/ depend on crates under client/:")
    print("\n".join(violations))
    print("Move what they share under primitives/ (the no_std integer core is primitives/fl).")
    sys.exit(1)
print("layers ok")
'
