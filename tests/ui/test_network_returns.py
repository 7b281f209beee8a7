#!/usr/bin/python3
"""The real binary in a network namespace whose network comes up at runtime.

Unsealed mail sent offline waits in Outbox, the app stays alive for it after
its window closed, and it leaves by itself when GNetworkMonitor reports the
network back; then the app exits. Online, a sealed message with a Bcc is
delivered as separately sealed copies that gpg decrypts."""

import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from signet_atspi import network_up, App, click, type_into, wait_for  # noqa: E402


def mailbox(app, email):
    root = os.path.join(app.data_dir, "Local", email, "Inbox")
    return [os.path.join(d, f) for d, _, files in os.walk(root) for f in files if os.path.basename(d) in ("new", "cur")]


def compose(app, to, body, bcc=None, seal=False):
    app.wait_find("frame", "New Message")
    type_into(app, "To", to)
    if bcc:
        type_into(app, "Bcc", bcc)
    type_into(app, "Subject", "Network test")
    type_into(app, "Message body", body)
    if seal:
        app.seal_on()
    click(app.wait_find("push button", "Send"))


def gpg_decrypt(home, path):
    with open(path, encoding="utf-8") as f:
        raw = f.read()
    armor = raw[raw.index("-----BEGIN PGP MESSAGE-----"):raw.index("-----END PGP MESSAGE-----") + 25]
    out = subprocess.run(["gpg", "--homedir", home, "--batch", "--decrypt"], input=armor,
                         capture_output=True, text=True, check=True)
    packets = subprocess.run(["gpg", "--homedir", home, "--batch", "--list-packets"], input=armor,
                             capture_output=True, text=True).stdout
    return raw, out.stdout, packets


def main():
    binary, schema_dir = sys.argv[1], sys.argv[2]

    app = App(binary, "--demo", schema_dir=schema_dir)
    try:
        compose(app, "bob@example.org", "Queued while offline.")
        wait_for(lambda: len([f for f in app.files_in("Outbox") if "/new/" in f and f.endswith(".eml")]) == 1,
                 "the message in Outbox")
        wait_for(lambda: app.find("frame", "New Message") is None, "the window to close")
        assert app.files_in("Sent") == []
        assert app.proc.poll() is None, "signet quit with mail still queued"
        print("ok 1 - unsealed mail waits in Outbox offline; signet keeps running for it")

        network_up()
        wait_for(lambda: len(app.files_in("Sent")) == 1 and app.files_in("Outbox") == [], "delivery", 60)
        [delivered] = mailbox(app, "bob@example.org")
        with open(delivered, encoding="utf-8") as f:
            assert "Queued while offline." in f.read()
        # Its own exit: under ASan this is where leaks would be reported.
        assert app.proc.wait(timeout=30) == 0, app.proc.returncode
        print("ok 2 - it left by itself when the network came back, and signet exited")
    finally:
        app.close(remove=False)

    # Online now, same data: sealed, with a Bcc recipient.
    app = App(binary, "--demo", schema_dir=schema_dir, tmp=app.tmp)
    try:
        compose(app, "alice@example.org", "Sealed online.", bcc="carol@example.org", seal=True)
        wait_for(lambda: len(app.files_in("Sent")) == 3, "two sealed copies in Sent", 60)
        # Nothing queued and no window left: signet ends by itself, cleanly.
        assert app.proc.wait(timeout=30) == 0, app.proc.returncode
        home = os.path.join(app.data_dir, "demo-gnupg")
        [to_alice] = mailbox(app, "alice@example.org")
        [to_carol] = mailbox(app, "carol@example.org")
        raw, plain, packets = gpg_decrypt(home, to_alice)
        assert "Sealed online." in plain and "Sealed online." not in raw
        assert "carol" not in raw and "carol" not in plain
        carol_key = subprocess.run(["gpg", "--homedir", home, "--with-colons", "--list-keys", "carol@example.org"],
                                   capture_output=True, text=True, check=True).stdout
        carol_sub = [line.split(":")[4] for line in carol_key.splitlines() if line.startswith("sub:")][0]
        assert carol_sub not in packets, packets
        _, carol_plain, carol_packets = gpg_decrypt(home, to_carol)
        # Her own copy hides her key ID as well (a hidden recipient).
        assert "Sealed online." in carol_plain and carol_sub not in carol_packets
        assert "keyid 0000000000000000" in carol_packets, carol_packets
        print("ok 3 - sealed with Bcc online: gpg decrypts both copies, no Bcc key ID in any copy")
    finally:
        app.close()


if __name__ == "__main__":
    main()
