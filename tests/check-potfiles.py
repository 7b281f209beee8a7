#!/usr/bin/python3
"""Fails when a file with translatable strings is missing from po/POTFILES.in
(its strings would never reach translators), or when POTFILES.in names a file
that does not exist."""

import os
import re
import sys

top = sys.argv[1]
with open(os.path.join(top, "po", "POTFILES.in")) as f:
    listed = {line.strip() for line in f if line.strip() and not line.startswith("#")}

marked = set()
for folder in ("src", "data"):
    for d, _, files in os.walk(os.path.join(top, folder)):
        for name in files:
            path = os.path.relpath(os.path.join(d, name), top)
            if path.startswith("data/screenshots") or path.startswith("data/demo"):
                continue
            with open(os.path.join(top, path), encoding="utf-8", errors="replace") as f:
                text = f.read()
            if name.endswith((".c", ".h")) and re.search(r'\b(N?_|C_|g_dngettext)\s*\(\s*"', text):
                marked.add(path)
            elif name.endswith(".ui") and 'translatable="yes"' in text:
                marked.add(path)
            elif name.endswith((".desktop.in.in", ".metainfo.xml.in.in", ".gschema.xml.in")):
                marked.add(path)

missing = sorted(marked - listed)
stale = sorted(p for p in listed if not os.path.exists(os.path.join(top, p)))
for p in missing:
    print(f"not in po/POTFILES.in: {p}")
for p in stale:
    print(f"in po/POTFILES.in but missing: {p}")
print(f"{len(marked)} files with translatable strings, {len(listed)} listed")
sys.exit(1 if missing or stale else 0)
