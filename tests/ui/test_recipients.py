#!/usr/bin/python3
"""Address pills in the real binary, through AT-SPI: each recipient's key
status shown and announced before Send, and following an edit; a pasted
list of ten addresses becoming ten pills, one removed with Backspace, and
Send going to the other nine; a partial name completed from the keyring
with the keyboard."""

import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from signet_atspi import network_up, App, Atspi, click, described, pills, wait_for  # noqa: E402


def mailbox(app, email):
    root = os.path.join(app.data_dir, "Local", email, "Inbox")
    return [f for d, _, files in os.walk(root) for f in files if os.path.basename(d) in ("new", "cur")]


def keys(*names):
    subprocess.run(["xdotool", "key", "--clearmodifiers", *names], check=True)


def main():
    binary, schema_dir = sys.argv[1], sys.argv[2]
    network_up()
    app = App(binary, "--demo", schema_dir=schema_dir)
    try:
        app.wait_find("frame", "New Message")
        app.seal_on()
        to = app.wait_find("text", "To")
        Atspi.EditableText.set_text_contents(to, "erin@example.org, nobody@example.org,")
        wait_for(lambda: described(to, "erin@example.org", "expired"), "erin's pill to say her key expired")
        wait_for(lambda: described(to, "nobody@example.org", "No sealing key"), "nobody's pill to say there is no key")
        print("ok - before Send, each pill says (and announces) its key status: expired, missing")
        Atspi.EditableText.set_text_contents(to, "alice@example.org,")
        wait_for(lambda: described(to, "alice@example.org", "Valid sealing key"), "alice's pill to say her key is valid")
        assert described(to, "erin@example.org", "expired")
        print("ok - an edit is looked up again")

        # Seal off, a new message: ten pasted addresses, ten pills.
        click(app.wait_find("push button", "Seal"))
        cc = app.wait_find("text", "Cc")
        ten = [f"person{i}@example.org" for i in range(10)]
        Atspi.EditableText.set_text_contents(cc, ", ".join(ten) + ",")
        wait_for(lambda: len(pills(cc)) == 10, "ten pills in Cc")
        print("ok - a pasted list of ten addresses is ten pills")
        # The pointer in the window (X focus follows it here), Alt+C is Cc's mnemonic.
        subprocess.run(["xdotool", "mousemove", "200", "200"], check=True)
        keys("alt+c")
        keys("BackSpace")
        wait_for(lambda: len(pills(cc)) == 9, "Backspace to remove the last pill")
        assert not any(name.endswith("person9@example.org") for name, _ in pills(cc))
        print("ok - Backspace in the empty text removes the last pill")

        # Completion with the keyboard, in Bcc: "car" finds carol.
        bcc = app.wait_find("text", "Bcc")
        keys("alt+b")
        subprocess.run(["xdotool", "type", "--delay", "20", "car"], check=True)
        wait_for(lambda: app.find("list", "Suggested addresses") or app.find("list box", "Suggested addresses"),
                 "the suggestions for 'car'")
        keys("Down", "Up", "Return")
        wait_for(lambda: any(name.endswith("carol@example.org>") or name.endswith("carol@example.org")
                             for name, _ in pills(bcc)), "carol chosen from the suggestions")
        print("ok - a partial name is completed from the keyring with the keyboard")

        # Send (unsealed): the nine in Cc, alice, erin, nobody and carol get it; person9 does not.
        click(app.wait_find("push button", "Send"))
        wait_for(lambda: all(mailbox(app, a) for a in ten[:9] + ["carol@example.org"]),
                 "the nine and carol to receive the message", timeout=60)
        # Delivered to everyone once Signet has nothing left to do.
        assert app.proc.wait(timeout=60) == 0
        assert not mailbox(app, "person9@example.org")
        assert all(len(mailbox(app, a)) == 1 for a in ten[:9] + ["carol@example.org"])
        print("ok - Send goes to the nine pills left (once each), not to the one removed; Signet then ends cleanly")
    finally:
        app.close()


if __name__ == "__main__":
    main()
