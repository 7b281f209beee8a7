#!/usr/bin/python3
"""The real binary: a message with an attached file, the file moved away
while the message is still being written (a Downloads folder tidied up, a
file in /tmp cleaned), then a crash. Everything typed until a few seconds
before the crash must come back at the next start. Today autosave fails
silently on the missing attachment at every pause, so the restored message
is the one from before the file went, and what was typed since is lost."""

import os
import shutil
import signal
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from signet_atspi import App, button_labelled, click, parse_message, text_of, type_into, wait_for, walk  # noqa: E402

TO = "alice@example.org"
SUBJECT = "Harbour walk"
BODY = "Meet at the harbour at nine."
LATER = "Second thoughts: meet at the lighthouse at ten, bring the tide tables."
ATTACHMENT = "harbour-map.txt"


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


def draft_with(app, words):
    found = drafts(app)
    if len(found) != 1:
        return None
    # The text as a mail reader shows it (a draft's text may be Base64).
    message = parse_message(found[0])
    texts = [part.get_content() for part in message.walk() if part.get_content_type() == "text/plain"]
    return found[0] if any(words in text for text in texts) else None


def composer_with_subject(app):
    for frame in app.toplevels("frame", SUBJECT):
        subject = field(frame, "Subject")
        if subject is not None and text_of(subject) == SUBJECT:
            return frame
    return None


def private_session():
    """A D-Bus session and XDG_RUNTIME_DIR of its own, so that the restarted
    signet reaches this test's accessibility bus (see test_drafts_crash)."""
    if os.environ.get("SIGNET_TEST_PRIVATE_SESSION"):
        return
    runtime = tempfile.mkdtemp(prefix="sgr.")
    env = dict(os.environ, XDG_RUNTIME_DIR=runtime, SIGNET_TEST_PRIVATE_SESSION="1")
    os.execvpe("dbus-run-session", ["dbus-run-session", "--", sys.executable, *sys.argv], env)


def main():
    private_session()
    binary, schema_dir = sys.argv[1], sys.argv[2]
    source = tempfile.mkdtemp(prefix="sgu-gone.")
    attachment = os.path.join(source, ATTACHMENT)
    with open(attachment, "w", encoding="utf-8") as f:
        f.write("Pier 4, the red door.\n")
    app = App(binary, "--demo", "--attach", attachment, schema_dir=schema_dir)
    second = None
    try:
        app.wait_find("frame", "New Message")
        type_into(app, "To", TO)
        type_into(app, "Subject", SUBJECT)
        type_into(app, "Message body", BODY)
        wait_for(lambda: draft_with(app, BODY), "the first automatic save")
        print("ok 1 - the message and its attachment are saved as a draft")

        os.remove(attachment)
        type_into(app, "Message body", LATER)
        # Well past the three seconds after which typing is saved.
        time.sleep(10)
        app.proc.send_signal(signal.SIGKILL)
        app.proc.wait(timeout=10)
        app.close(remove=False)

        second = App(binary, "--demo", schema_dir=schema_dir, tmp=app.tmp)
        dialog = second.wait_find("dialog", "Restore Unsaved Messages?")
        click(button_labelled(dialog, "Restore"))
        frame = wait_for(lambda: composer_with_subject(second), "the restored message")
        body = text_of(field(frame, "Message body"))
        # A clear draft that is only its text ends in a line break, whether
        # the text did or not (see test-message-reader's edge texts).
        assert body.rstrip("\n") == LATER, \
            f"restored body is {body!r}: what was typed after the attached file went is lost"
        print("ok 2 - after a crash, what was typed after the attached file went comes back")
    finally:
        shutil.rmtree(os.environ["XDG_RUNTIME_DIR"], ignore_errors=True)
        if second is not None:
            second.close()
        else:
            app.close()
        shutil.rmtree(source, ignore_errors=True)


if __name__ == "__main__":
    main()
