#!/usr/bin/python3
"""Derives the manifest the flatpak test suite builds from the real one:
the runtime and SDK become the local one made from this system
(build-aux/flatpak-local-runtime.sh), modules that runtime already provides
are dropped, and debug info is not split (no network, no debug extension).
Everything else — app id, command, finish-args, Signet's own module — stays.

usage: flatpak-test-manifest.py REAL_MANIFEST OUTPUT"""

import json
import os
import sys

PROVIDED_BY_LOCAL_RUNTIME = {"gmime", "openldap"}

real, output = sys.argv[1], sys.argv[2]
with open(real, encoding="utf-8") as f:
    manifest = json.load(f)

manifest["runtime"] = "org.signet.LocalPlatform"
manifest["sdk"] = "org.signet.LocalPlatform"
manifest["runtime-version"] = "1"
manifest.setdefault("build-options", {})["no-debuginfo"] = True
manifest["modules"] = [m for m in manifest["modules"] if m["name"] not in PROVIDED_BY_LOCAL_RUNTIME]
for module in manifest["modules"]:
    for source in module.get("sources", []):
        if source.get("type") == "dir":
            source["path"] = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(real)), source["path"]))

with open(output, "w", encoding="utf-8") as f:
    json.dump(manifest, f, indent=2)
