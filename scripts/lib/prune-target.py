#!/usr/bin/env python3
"""Deletes the test executables, and their split debug info, that no current build names.

Every build of a changed crate (or of the same crate under other features) leaves its test
executables under `$CARGO_TARGET_DIR/debug/deps` with a new hash, and cargo never removes
the old ones: on the 2-core CI machine they reached 37 GB in a week and filled the disk.
What a build needs is exactly what its `cargo build --message-format=json` lists, so this
keeps every file of the listed crate-hash stems and deletes, among the others, only
executables and `.dwo`/`.o` debug info. Rlibs are kept: another build configuration of a
script may still use them, and they are small.

    prune-target.py BUILD_JSON DEPS_DIR
"""
import json
import os
import re
import sys


def stem(name: str) -> str:
    """`libfoo-0123abcd.rlib`, `foo-0123abcd.foo.1a2b-cgu.0.rcgu.dwo` → `foo-0123abcd`."""
    return re.sub(r"^lib", "", name).split(".")[0]


def main() -> None:
    build_json, deps = sys.argv[1], sys.argv[2]
    keep = set()
    binaries = set()
    with open(build_json) as lines:
        for line in lines:
            try:
                message = json.loads(line)
            except json.JSONDecodeError:
                continue
            if message.get("reason") != "compiler-artifact":
                continue
            paths = message.get("filenames", []) + [message.get("executable") or ""]
            keep.update(stem(os.path.basename(f)) for f in paths if f)
            target = message.get("target", {})
            # A binary is listed by its uplifted path (`debug/din-node`), not by the
            # `deps/din-node-<hash>` cargo checks it against: keep those under its name.
            if "bin" in target.get("kind", []) and not message.get("profile", {}).get("test"):
                binaries.add(target["name"])
    if not keep:
        sys.exit("prune-target: the build listed no artifact; nothing deleted")
    freed = removed = 0
    for name in os.listdir(deps):
        base = stem(name)
        if base in keep or re.sub(r"-[0-9a-f]{16}$", "", base) in binaries:
            continue
        path = os.path.join(deps, name)
        is_debug_info = name.endswith((".dwo", ".o"))
        is_executable = "." not in name and os.access(path, os.X_OK)
        if (is_debug_info or is_executable) and os.path.isfile(path):
            freed += os.path.getsize(path)
            os.remove(path)
            removed += 1
    print(f"pruned {removed} stale test executables and debug-info files ({freed / 1e9:.1f} GB)")


if __name__ == "__main__":
    main()
