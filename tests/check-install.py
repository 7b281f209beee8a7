#!/usr/bin/python3
"""Installs the build into a temporary DESTDIR and checks what lands there.
usage: check-install.py MESON BUILD_DIR PREFIX APP_ID BINARY"""

import os
import subprocess
import sys
import tempfile

meson, build, prefix, app_id, binary = sys.argv[1:6]
with tempfile.TemporaryDirectory(prefix="sgi.") as destdir:
    subprocess.run([meson, "install", "-C", build, "--no-rebuild", "--quiet", "--destdir", destdir], check=True,
                   stdout=subprocess.DEVNULL)
    root = destdir + prefix
    found = sorted(os.path.relpath(os.path.join(d, f), root) for d, _, files in os.walk(root) for f in files)
    expected = [
        f"bin/{binary}",
        f"share/applications/{app_id}.desktop",
        f"share/glib-2.0/schemas/{app_id}.gschema.xml",
        f"share/icons/hicolor/scalable/apps/{app_id}.svg",
        f"share/icons/hicolor/symbolic/apps/{app_id}-symbolic.svg",
        f"share/metainfo/{app_id}.metainfo.xml",
    ]
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "po", "LINGUAS")) as f:
        for lang in f.read().split():
            expected.append(f"share/locale/{lang}/LC_MESSAGES/signet.mo")
    missing = [e for e in expected if e not in found]
    unexpected = [f for f in found if f not in expected]
    for name in found:
        print(name)
    assert not missing, f"missing: {missing}"
    assert not unexpected, f"unexpected: {unexpected}"
    assert os.access(os.path.join(root, "bin", binary), os.X_OK)
    print(f"ok - {len(found)} files installed as expected")
