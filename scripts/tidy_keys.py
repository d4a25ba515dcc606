#!/usr/bin/env python3
"""Prints "FILE KEY" for each source file given: KEY hashes the file, every project file it
includes (from the build's Ninja dependency log, `ninja -t deps`), .clang-tidy and clang-tidy's version,
so that scripts/lint.sh can skip files already found clean. KEY is "-" when the build has
no dependency record for the file (it is then always analysed).
Usage: tidy_keys.py BUILD_DIR FILE..."""
import hashlib
import json
import os
import subprocess
import sys


def main():
    build, files = sys.argv[1], sys.argv[2:]
    root = os.getcwd()
    commands = json.load(open(os.path.join(build, "compile_commands.json")))
    output_of, command_of = {}, {}
    for c in commands:
        source = os.path.relpath(os.path.join(c["directory"], c["file"]), root)
        output = c.get("output")
        if output is None:
            args = c.get("arguments") or c["command"].split()
            output = args[args.index("-o") + 1] if "-o" in args else None
        if output is not None and source not in output_of:
            output_of[source] = os.path.join(c["directory"], output)
            command_of[source] = c.get("command") or " ".join(c["arguments"])
    version = subprocess.run(["clang-tidy", "--version"], capture_output=True, text=True).stdout
    common = hashlib.sha256(version.encode())
    common.update(open(".clang-tidy", "rb").read())
    deps_of = {}
    listing = subprocess.run(["ninja", "-C", build, "-t", "deps"], capture_output=True,
                             text=True).stdout
    current = None
    for line in listing.splitlines():
        if line and not line[0].isspace():
            current = line.split(":", 1)[0]
            deps_of[current] = []
        elif line.strip() and current is not None:
            deps_of[current].append(line.strip())
    for f in files:
        output = output_of.get(f)
        rel = os.path.relpath(output, os.path.join(root, build)) if output else None
        if rel not in deps_of:
            print(f, "-")
            continue
        h = common.copy()
        # The command with this checkout's path taken out: clones share the cache.
        h.update(command_of[f].replace(root, "<root>").encode())
        for d in sorted(set(deps_of[rel])):
            full = os.path.normpath(d if os.path.isabs(d) else os.path.join(build, d))
            full = os.path.abspath(full)
            if not full.startswith(root + os.sep):
                continue  # system headers: covered by the clang-tidy version
            h.update(os.path.relpath(full, root).encode())
            h.update(open(full, "rb").read() if os.path.exists(full) else b"missing")
        print(f, h.hexdigest())


if __name__ == "__main__":
    main()
