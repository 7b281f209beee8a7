#!/usr/bin/python3
"""The real binary, in a network namespace with no network: GNetworkMonitor
reports offline by itself. Seal + Send must show the KB Q154089 dialog and
write nothing to Outbox or Sent; Save Draft in it stores a sealed draft."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from signet_atspi import (recipients_text, KB_HEADING, App, button_labelled, click,  # noqa: E402
                          text_of, type_into, wait_for, walk)

BODY = "Meet at the usual place."


def main():
    binary, schema_dir = sys.argv[1], sys.argv[2]
    app = App(binary, "--demo", schema_dir=schema_dir)
    try:
        app.wait_find("frame", "New Message")
        # The banner shows the real monitor's verdict; Work Offline is off.
        app.wait_find("label", contains="You are offline")

        type_into(app, "To", "alice@example.org")
        type_into(app, "Subject", "Offline test")
        type_into(app, "Message body", BODY)
        app.seal_on()
        click(app.wait_find("push button", "Send"))

        dialog = app.wait_find("dialog", KB_HEADING)
        texts = [text_of(n) for n in walk(dialog)]
        assert KB_HEADING in texts, texts
        assert any("turn off Work Offline" in t for t in texts), texts
        assert button_labelled(dialog, "Close") is not None
        assert app.files_in("Outbox") == [], app.files_in("Outbox")
        assert app.files_in("Sent") == [], app.files_in("Sent")
        # Everything typed is still in the composer.
        assert recipients_text(app.find("text", "To")) == "alice@example.org"
        assert text_of(app.find("text", "Message body")) == BODY
        print("ok 1 - KB dialog shown offline, nothing sent or queued")

        click(button_labelled(dialog, "Save Draft"))
        drafts = wait_for(lambda: [f for f in app.files_in("Drafts") if "/new/" in f], "a draft")
        with open(drafts[0], encoding="utf-8") as f:
            draft = f.read()
        assert "multipart/encrypted" in draft and BODY not in draft
        assert app.files_in("Outbox") == [] and app.files_in("Sent") == []
        print("ok 2 - Save Draft stored a sealed draft")
    finally:
        app.close()


if __name__ == "__main__":
    main()
