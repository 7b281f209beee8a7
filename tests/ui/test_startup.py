#!/usr/bin/python3
"""What Signet loads to show its first composer: not the libraries for
talking to mail servers and the organisation's directory (libcurl, libldap
and the TLS, Kerberos and SASL libraries they bring), which open when mail
is first delivered or the directory first searched, nor the keyring's
(libsecret and libgcrypt), which opens when a password is first needed.
They would otherwise be a quarter of what is mapped and relocated before
the first frame."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from signet_atspi import App, type_into  # noqa: E402

LATER = ("libcurl", "libldap", "liblber", "libgnutls", "libssl.", "libcrypto.", "libkrb5", "libsasl2",
         "libsecret-1", "libgcrypt")


def mapped(pid):
    with open(f"/proc/{pid}/maps") as f:
        return {line.split()[-1] for line in f if "/" in line}


def loaded_early(libraries):
    return sorted(path for path in libraries if any(os.path.basename(path).startswith(n) for n in LATER))


def main():
    binary, schema_dir = sys.argv[1], sys.argv[2]
    app = App(binary, "--demo", schema_dir=schema_dir)
    try:
        app.wait_find("frame", "New Message")
        libraries = mapped(app.proc.pid)
        assert any("libgtk-4" in path for path in libraries), "the maps of the wrong process"
        early = loaded_early(libraries)
        assert early == [], f"loaded before they were needed: {early}"
        print("ok 1 - the composer is shown without libcurl, libldap, libsecret or the libraries they bring")

        # Typing an address and a message uses none of them either (the
        # demo delivers on this computer and has no directory server).
        type_into(app, "To", "alice@example.org")
        type_into(app, "Message body", "Nothing here needs a mail server.")
        early = loaded_early(mapped(app.proc.pid))
        assert early == [], f"loaded before they were needed: {early}"
        print("ok 2 - composing a message loads none of them")
    finally:
        app.close()
    print("1..2")


if __name__ == "__main__":
    main()
