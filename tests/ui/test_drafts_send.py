#!/usr/bin/python3
"""The real binary: a sealed message saved as a draft when the session
ended (SIGTERM) is not offered back at the next start (a clean end), but
is in the Drafts window (Ctrl+Shift+D), its subject and recipient read from
inside the seal. Open brings it back in a composer; Send delivers it to its
recipient once, and it is gone from Drafts and from the list."""

import os
import shutil
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from signet_atspi import network_up, App, Atspi, click, text_of, type_into, wait_for, walk  # noqa: E402

TO = "alice@example.org"
SUBJECT = "Rooftop garden keys"
BODY = "The keys are under the blue pot."


def keys(*names):
    subprocess.run(["xdotool", "key", "--clearmodifiers", *names], check=True)


def drafts(app):
    return [f for f in app.files_in("Drafts") if "/new/" in f or "/cur/" in f]


def mailbox(app, email):
    root = os.path.join(app.data_dir, "Local", email, "Inbox")
    return [f for d, _, files in os.walk(root) for f in files if os.path.basename(d) in ("new", "cur")]


def find_in(root, role, name=None, contains=None, prefix=None):
    for node in walk(root):
        try:
            if node.get_role_name() != role:
                continue
            if name is not None and node.get_name() != name:
                continue
            # A row's button is named by its own label, then by the row's.
            if prefix is not None and not (node.get_name() or "").startswith(prefix):
                continue
            if contains is not None and contains not in (text_of(node) or node.get_name() or ""):
                continue
            return node
        except Exception:
            continue
    return None


def composer_with_subject(app):
    # A composer is titled by its subject.
    for frame in app.toplevels("frame", SUBJECT):
        subject = find_in(frame, "text", "Subject")
        if subject is not None and text_of(subject) == SUBJECT:
            return frame
    return None


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
    network_up()
    app = App(binary, "--demo", schema_dir=schema_dir)
    second = None
    try:
        app.wait_find("frame", "New Message")
        app.seal_on()
        type_into(app, "To", TO)
        type_into(app, "Subject", SUBJECT)
        type_into(app, "Message body", BODY)
        app.proc.send_signal(signal.SIGTERM)
        assert app.proc.wait(timeout=20) == 0
        [draft] = drafts(app)
        with open(draft, encoding="utf-8") as f:
            assert SUBJECT not in f.read()
        print("ok 1 - the message was saved as a sealed draft when the session ended")

        app.close(remove=False)
        second = App(binary, "--demo", schema_dir=schema_dir, tmp=app.tmp)
        second.wait_find("frame", "New Message")
        # The pointer in the window (X focus follows it here).
        subprocess.run(["xdotool", "mousemove", "200", "200"], check=True)
        keys("ctrl+shift+d")
        window = second.wait_find("frame", "Drafts")
        open_button = wait_for(lambda: find_in(window, "push button", prefix=f"Open draft {SUBJECT}"),
                               "the draft, its subject read from inside the seal")
        assert find_in(window, "label", contains=TO) is not None
        assert not second.toplevels("dialog", "Restore Unsaved Messages?")
        print("ok 2 - no offer to restore after a clean end; Ctrl+Shift+D lists the draft with its subject and recipient")

        click(open_button)
        frame = wait_for(lambda: composer_with_subject(second), "the draft in a composer")
        assert text_of(find_in(frame, "text", "Message body")) == BODY
        seal = find_in(frame, "push button", "Seal")
        assert seal.get_state_set().contains(Atspi.StateType.PRESSED)
        click(find_in(frame, "push button", "Send"))
        wait_for(lambda: mailbox(second, TO), "alice to receive it", timeout=60)
        wait_for(lambda: not drafts(second), "the draft to go once it is sent")
        wait_for(lambda: find_in(window, "label", contains="No Drafts") is not None, "the list to empty")
        wait_for(lambda: not second.files_in("Outbox/new") and not second.files_in("Outbox/cur"),
                 "the Outbox to empty", timeout=60)
        assert len(mailbox(second, TO)) == 1, mailbox(second, TO)
        print("ok 3 - Open and Send: alice received it once; it is gone from Drafts and from the list")
    finally:
        shutil.rmtree(os.environ["XDG_RUNTIME_DIR"], ignore_errors=True)
        if second is not None:
            second.close()
        else:
            app.close()


if __name__ == "__main__":
    main()
