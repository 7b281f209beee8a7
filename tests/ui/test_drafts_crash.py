#!/usr/bin/python3
"""The real binary, killed with SIGKILL while a sealed message with an
attachment is being written: what was typed up to its last automatic save
is in Drafts, still sealed (gpg opens it with the demo key; nothing of it
in clear on disk), and the next start offers it back; Restore opens it with
every field, Seal and the attachment."""

import os
import shutil
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from signet_atspi import (App, Atspi, button_labelled, click, files_containing, gpg_decrypt,  # noqa: E402
                          recipients_text, text_of, type_into, wait_for, walk)

TO = "alice@example.org"
CC = "bob@example.org"
BCC = "carol@example.org"
SUBJECT = "Lantern festival route"
BODY = "Start at the north gate, end by the river."
ATTACHMENT = "festival-route.txt"
ATTACHMENT_TEXT = "North gate, market square, old bridge, river steps.\n"


def field(frame, name):
    for node in walk(frame):
        try:
            if node.get_role_name() == "text" and node.get_name() == name:
                return node
        except Exception:
            continue
    return None


def drafts(app):
    return [f for f in app.files_in("Drafts") if "/new/" in f or "/cur/" in f]


def saved_in_full(app, home):
    """The one draft, once its sealed content holds everything typed."""
    found = drafts(app)
    if len(found) != 1:
        return None
    try:
        raw, plain, _ = gpg_decrypt(home, found[0])
    except (ValueError, subprocess.CalledProcessError):
        return None
    if all(w in plain for w in (SUBJECT, BODY, TO, CC, BCC, ATTACHMENT)):
        return found[0], raw, plain
    return None


def composer_with_subject(app):
    # A composer is titled by its subject.
    for frame in app.toplevels("frame", SUBJECT):
        subject = field(frame, "Subject")
        if subject is not None and text_of(subject) == SUBJECT:
            return frame
    return None


def pressed(frame, name):
    for node in walk(frame):
        try:
            if node.get_role_name() == "push button" and node.get_name() == name:
                return node.get_state_set().contains(Atspi.StateType.PRESSED)
        except Exception:
            continue
    return None


def labels(frame):
    found = []
    for node in walk(frame):
        try:
            if node.get_role_name() == "label":
                found.append(text_of(node) or node.get_name())
        except Exception:
            continue
    return found


def private_session():
    """Runs this script again in a D-Bus session of its own, with its own
    XDG_RUNTIME_DIR: without one, the accessibility bus's socket is a path
    shared by everything on this machine, and the restarted signet must
    reach this test's bus, not another's."""
    if os.environ.get("SIGNET_TEST_PRIVATE_SESSION"):
        return
    runtime = tempfile.mkdtemp(prefix="sgr.")
    env = dict(os.environ, XDG_RUNTIME_DIR=runtime, SIGNET_TEST_PRIVATE_SESSION="1")
    os.execvpe("dbus-run-session", ["dbus-run-session", "--", sys.executable, *sys.argv], env)


def main():
    private_session()
    binary, schema_dir = sys.argv[1], sys.argv[2]
    source = tempfile.mkdtemp(prefix="sgu-attach.")
    attachment = os.path.join(source, ATTACHMENT)
    with open(attachment, "w", encoding="utf-8") as f:
        f.write(ATTACHMENT_TEXT)
    app = App(binary, "--demo", "--attach", attachment, schema_dir=schema_dir)
    second = None
    try:
        app.wait_find("frame", "New Message")
        home = os.path.join(app.data_dir, "demo-gnupg")
        app.seal_on()
        type_into(app, "To", TO)
        type_into(app, "Cc", CC)
        type_into(app, "Bcc", BCC)
        type_into(app, "Subject", SUBJECT)
        type_into(app, "Message body", BODY)
        path, raw, plain = wait_for(lambda: saved_in_full(app, home), "the draft to be saved with everything typed")
        print("ok 1 - a few seconds after typing stops, the message is saved as one sealed draft")

        app.proc.send_signal(signal.SIGKILL)
        app.proc.wait(timeout=10)
        assert drafts(app) == [path], drafts(app)
        with open(path, encoding="utf-8", errors="replace") as f:
            after = f.read()
        assert after == raw
        assert "-----BEGIN PGP MESSAGE-----" in after
        outside = after[:after.index("-----BEGIN PGP MESSAGE-----")]
        for secret in (SUBJECT, BODY, TO, CC, BCC, ATTACHMENT):
            assert secret not in outside, secret
        secrets = {s.encode() for s in (SUBJECT, BODY, ATTACHMENT_TEXT.strip(), ATTACHMENT)}
        leaked, n = files_containing([app.tmp], secrets)
        assert not leaked and n > 0, leaked
        print("ok 2 - after SIGKILL the draft is on disk, sealed: nothing of it in clear anywhere, gpg opens it")

        app.close(remove=False)
        second = App(binary, "--demo", schema_dir=schema_dir, tmp=app.tmp)
        dialog = second.wait_find("dialog", "Restore Unsaved Messages?")
        click(button_labelled(dialog, "Restore"))
        frame = wait_for(lambda: composer_with_subject(second), "the restored message")
        wait_for(lambda: recipients_text(field(frame, "To")) == TO, "To to be restored")
        assert recipients_text(field(frame, "Cc")) == CC, recipients_text(field(frame, "Cc"))
        assert recipients_text(field(frame, "Bcc")) == BCC, recipients_text(field(frame, "Bcc"))
        assert text_of(field(frame, "From")) == "Signet Demo <demo@example.org>"
        assert text_of(field(frame, "Message body")) == BODY
        assert pressed(frame, "Seal") is True
        wait_for(lambda: ATTACHMENT in labels(frame), "the attachment to be restored")
        print("ok 3 - the next start offers it; Restore opens it with every field, Seal and the attachment")

        assert drafts(second) == [path], drafts(second)
        leaked, _ = files_containing([app.tmp], secrets)
        assert not leaked, leaked
        _, plain_again, _ = gpg_decrypt(os.path.join(second.data_dir, "demo-gnupg"), path)
        assert BODY in plain_again
        print("ok 4 - still one draft, still sealed; the restored attachment is not written out in clear")
    finally:
        shutil.rmtree(os.environ["XDG_RUNTIME_DIR"], ignore_errors=True)
        if second is not None:
            second.close()
        else:
            app.close()
        shutil.rmtree(source, ignore_errors=True)


if __name__ == "__main__":
    main()
