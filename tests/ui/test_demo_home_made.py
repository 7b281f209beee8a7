#!/usr/bin/python3
"""The demo's GnuPG home is made while the first composer is already shown.
Key management waits for it: on first use a typed recipient's key is found
as soon as the home exists. When the home cannot be made, the composer
stays with what was typed, the reason is shown, and sealing fails with that
same reason: nothing is sent, queued or written in the clear. And a
session that ends while the home is still being made (a slow disk) waits
for it, so that the sealed draft of what was typed is saved."""

import email
import os
import signal
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from signet_atspi import (network_up, App, Atspi, button_labelled, click, described,  # noqa: E402
                          files_containing, recipients_text,
                          text_of, type_into, wait_for, walk)

HEADING = "The Demo Directory Could Not Be Created"
REASON = "Could not create the demo directory"
SUBJECT = "Plans for the ninth"
BODY = "Bring the blue folder, not the red one."


def texts(node):
    return [text_of(n) for n in walk(node)] + [n.get_name() or "" for n in walk(node)]


def first_use(binary, schema_dir):
    app = App(binary, "--demo", schema_dir=schema_dir)
    try:
        app.wait_find("frame", "New Message")
        app.seal_on()
        to = app.wait_find("text", "To")
        Atspi.EditableText.set_text_contents(to, "alice@example.org, rex@example.org,")
        wait_for(lambda: described(to, "rex@example.org", "revoked"), "rex's pill to show his key is revoked", 60)
        wait_for(lambda: described(to, "alice@example.org", "Valid sealing key"),
                 "alice's pill to show her key", 60)
        assert os.path.isfile(os.path.join(app.data_dir, "demo-gnupg", "signet-demo-ready"))
        assert not app.toplevels("dialog", HEADING)
        print("ok 1 - first use: the composer's lookups wait for the demo home and find the key")
    finally:
        app.close()


def home_not_made(binary, schema_dir):
    tmp = tempfile.mkdtemp(prefix="sgu.")
    data = os.path.join(tmp, "data", "signet")
    os.makedirs(data)
    # A file where the demo home should go: it cannot be made.
    with open(os.path.join(data, "demo-gnupg"), "w") as f:
        f.write("not a directory\n")
    app = App(binary, "--demo", schema_dir=schema_dir, tmp=tmp)
    try:
        app.wait_find("frame", "New Message")
        dialog = app.wait_find("dialog", HEADING)
        assert any(REASON in t for t in texts(dialog)), texts(dialog)
        click(button_labelled(dialog, "Close"))
        wait_for(lambda: not app.toplevels("dialog", HEADING), "the dialog to close")
        print("ok 2 - a demo home that cannot be made: the composer is shown, and why it failed")

        type_into(app, "To", "alice@example.org")
        type_into(app, "Subject", SUBJECT)
        type_into(app, "Message body", BODY)
        app.seal_on()
        click(app.wait_find("push button", "Send"))
        failed = wait_for(lambda: [d for d in app.toplevels("dialog") if any(REASON in t for t in texts(d))],
                          "Send to fail with the same reason", 60)[0]
        assert recipients_text(app.find("text", "To")) == "alice@example.org"
        assert text_of(app.find("text", "Subject")) == SUBJECT
        assert text_of(app.find("text", "Message body")) == BODY
        assert app.files_in("Outbox") == [], app.files_in("Outbox")
        assert app.files_in("Sent") == [], app.files_in("Sent")
        local = os.path.join(data, "Local")
        delivered = [f for _d, _s, files in os.walk(local) for f in files]
        assert delivered == [], delivered
        clear, n = files_containing([tmp], [BODY.encode(), SUBJECT.encode()])
        assert n > 0 and clear == [], clear
        print("ok 3 - Seal + Send fails with that reason; the message stays, nothing is sent or written in the clear")
        close = button_labelled(failed, "Close")
        if close is not None:
            click(close)
    finally:
        app.close()


def exit_while_made(binary, schema_dir, slow_fsync):
    # Each of the home's thirty-odd fsyncs takes 0.6 s: about twenty seconds,
    # twice the ten that Signet gives drafts to be saved at exit.
    asan = ":".join(o for o in (os.environ.get("ASAN_OPTIONS"), "verify_asan_link_order=0") if o)
    app = App(binary, "--demo", schema_dir=schema_dir,
              extra_env={"LD_PRELOAD": slow_fsync, "SIGNET_SLOW_FSYNC_MS": "600", "ASAN_OPTIONS": asan})
    stamp = os.path.join(app.data_dir, "demo-gnupg", "signet-demo-ready")
    try:
        app.wait_find("frame", "New Message")
        type_into(app, "To", "alice@example.org")
        type_into(app, "Subject", SUBJECT)
        type_into(app, "Message body", BODY)
        app.seal_on()
        assert not os.path.exists(stamp), "the home was made already: the disk is not slow enough"
        started = time.monotonic()
        app.proc.send_signal(signal.SIGTERM)
        assert app.proc.wait(timeout=120) == 0
        waited = time.monotonic() - started
        assert os.path.exists(stamp)
        drafts = [f for f in app.files_in("Drafts") if "/new/" in f or "/cur/" in f]
        assert len(drafts) == 1, drafts
        with open(drafts[0], "rb") as f:
            draft = f.read()
        assert email.message_from_bytes(draft).get_content_type() == "multipart/encrypted"
        clear, n = files_containing([app.tmp], [BODY.encode(), SUBJECT.encode()])
        assert n > 0 and clear == [], clear
        print(f"ok 4 - the session ends while the home is made ({waited:.0f} s): "
              "Signet waits for it and saves the sealed draft")
    finally:
        app.close()


def main():
    binary, schema_dir, slow_fsync = sys.argv[1], sys.argv[2], os.path.abspath(sys.argv[3])
    network_up()
    first_use(binary, schema_dir)
    home_not_made(binary, schema_dir)
    exit_while_made(binary, schema_dir, slow_fsync)
    print("1..4")


if __name__ == "__main__":
    main()
