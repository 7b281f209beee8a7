#!/usr/bin/python3
"""Writes data/demo/demo-gnupg/ from data/demo/demo-keys.asc: the GnuPG
home (keybox and secret key files) that Signet copies into place on the
demo's first use, so that first use starts no gpg and no gpg-agent.

Run it after changing demo-keys.asc; tests/data/check-demo-home.py checks
that the two agree. The secret key files are the agent's own (one per
key and subkey, named by keygrip); the gresource lists them."""

import glob
import os
import shutil
import subprocess
import sys
import tempfile

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KEYS = os.path.join(TOP, "data", "demo", "demo-keys.asc")
OUT = os.path.join(TOP, "data", "demo", "demo-gnupg")


def main():
    home = tempfile.mkdtemp(prefix="signet-demo-home.")
    try:
        subprocess.run(["gpg", "--homedir", home, "--batch", "--quiet", "--import", KEYS],
                       check=True, capture_output=True)
        subprocess.run(["gpgconf", "--homedir", home, "--kill", "all"], check=False)
        shutil.rmtree(OUT, ignore_errors=True)
        os.makedirs(os.path.join(OUT, "private-keys-v1.d"))
        shutil.copyfile(os.path.join(home, "pubring.kbx"), os.path.join(OUT, "pubring.kbx"))
        names = []
        for path in sorted(glob.glob(os.path.join(home, "private-keys-v1.d", "*.key"))):
            name = os.path.basename(path)
            shutil.copyfile(path, os.path.join(OUT, "private-keys-v1.d", name))
            names.append(name)
    finally:
        subprocess.run(["gpgconf", "--homedir", home, "--kill", "all"], check=False)
        shutil.rmtree(home, ignore_errors=True)
    print("pubring.kbx")
    for name in names:
        print("private-keys-v1.d/" + name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
