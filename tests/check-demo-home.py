#!/usr/bin/python3
"""The demo home Signet ships (data/demo/demo-gnupg, copied into place on
first use) holds exactly the keys of data/demo/demo-keys.asc: the same
public keys with the same user IDs, signatures and revocations, and the
secret halves of the same keys. Rebuild it with build-aux/make-demo-home.py
when this fails."""

import os
import shutil
import subprocess
import sys
import tempfile

TOP = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
DEMO = os.path.join(TOP, "data", "demo")


def gpg(home, *args):
    return subprocess.run(["gpg", "--homedir", home, "--batch", "--with-colons", "--fixed-list-mode",
                           "--trust-model", "always", *args],
                          check=True, capture_output=True, text=True).stdout


def listing(home):
    """Keys, subkeys, user IDs and signatures, without what depends on
    the moment of listing (validity, trust)."""
    lines = []
    for line in gpg(home, "--list-sigs").splitlines():
        fields = line.split(":")
        if fields[0] in ("pub", "sub", "uid", "sig", "rev", "fpr", "grp"):
            fields[1] = ""
            if len(fields) > 8:
                fields[8] = ""
            lines.append(":".join(fields))
    return lines


def secret_grips(home):
    return sorted(line.split(":")[9] for line in gpg(home, "--with-keygrip", "--list-secret-keys").splitlines()
                  if line.startswith("grp:"))


def main():
    shipped = tempfile.mkdtemp(prefix="sdh-shipped.")
    imported = tempfile.mkdtemp(prefix="sdh-imported.")
    failures = 0
    try:
        shutil.copytree(os.path.join(DEMO, "demo-gnupg"), shipped, dirs_exist_ok=True)
        os.chmod(shipped, 0o700)
        subprocess.run(["gpg", "--homedir", imported, "--batch", "--quiet", "--import",
                        os.path.join(DEMO, "demo-keys.asc")], check=True, capture_output=True)
        print("1..3")
        a, b = listing(shipped), listing(imported)
        ok = a == b and len(a) > 0
        failures += not ok
        print(("ok" if ok else "not ok") + f" 1 the shipped keybox lists what demo-keys.asc imports ({len(a)} lines)")
        if not ok:
            for line in sorted(set(a) ^ set(b)):
                print("# differs: " + line)
        ga, gb = secret_grips(shipped), secret_grips(imported)
        ok = ga == gb and len(ga) > 0
        failures += not ok
        print(("ok" if ok else "not ok") + f" 2 the shipped secret keys are those of demo-keys.asc ({len(ga)} keygrips)")
        files = sorted(name[:-4] for name in os.listdir(os.path.join(shipped, "private-keys-v1.d")))
        ok = files == ga
        failures += not ok
        print(("ok" if ok else "not ok") + " 3 one secret key file per secret key, nothing more")
    finally:
        for home in (shipped, imported):
            subprocess.run(["gpgconf", "--homedir", home, "--kill", "all"], check=False, capture_output=True)
            shutil.rmtree(home, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
