#!/usr/bin/python3
"""SIGTERM (what a session sends at logout, or `kill`) to the real binary
with unsaved messages: each is saved as a draft before Signet exits, sealed
to the sender's own key when Seal is on. A message that cannot be saved (no
sender) is logged, without its words, and does not hold up the exit."""

import os
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from signet_atspi import recipients_text, App, Atspi, click, text_of, type_into, wait_for, walk  # noqa: E402

TO = "alice@example.org"
SUBJECT = "Clock tower plan"
BODY = "Meet me under the clock at noon."
UNSAVABLE = "Words of a message with no sender."


def frames(app):
    # Composers only are open here; each is titled by its subject.
    return app.toplevels("frame")


def field(frame, name):
    for node in walk(frame):
        if node.get_role_name() == "text" and node.get_name() == name:
            return node
    return None


def set_field(frame, name, text):
    node = field(frame, name)
    Atspi.EditableText.set_text_contents(node, text)
    wait_for(lambda: text_of(node) == text, f"{name} to read {text!r}")


def main():
    binary, schema_dir = sys.argv[1], sys.argv[2]
    log = tempfile.TemporaryFile(mode="w+")
    app = App(binary, "--demo", schema_dir=schema_dir, stderr=log)
    try:
        app.wait_find("frame", "New Message")
        type_into(app, "To", TO)
        type_into(app, "Subject", SUBJECT)
        type_into(app, "Message body", BODY)
        app.seal_on()

        subprocess.run([binary, "--demo"], env=app.env, check=True, timeout=30)
        wait_for(lambda: len(frames(app)) == 2, "a second composer")
        [second] = [f for f in frames(app) if recipients_text(field(f, "To")) == ""]
        set_field(second, "From", "")
        set_field(second, "Message body", UNSAVABLE)
        # Sealed: without a sender there is no key to seal its draft to.
        seal = next(n for n in walk(second) if n.get_role_name() == "push button" and n.get_name() == "Seal")
        click(seal)
        wait_for(lambda: seal.get_state_set().contains(Atspi.StateType.PRESSED), "Seal on in the second message")

        app.proc.send_signal(signal.SIGTERM)
        code = app.proc.wait(timeout=20)
        assert code == 0, f"signet exited with {code}"
        print("ok 1 - SIGTERM with two unsaved messages: signet exited, status 0")

        home = os.path.join(app.data_dir, "demo-gnupg")
        wait_for(lambda: not App._agents(home), "the demo gpg-agent to exit", 10)
        print("ok 2 - no gpg-agent left running")

        drafts = [f for f in app.files_in("Drafts") if "/new/" in f or "/cur/" in f]
        assert len(drafts) == 1, drafts
        with open(drafts[0], encoding="utf-8") as f:
            draft = f.read()
        assert "-----BEGIN PGP MESSAGE-----" in draft, draft
        assert BODY not in draft and UNSAVABLE not in draft
        armor = draft[draft.index("-----BEGIN PGP MESSAGE-----"):draft.index("-----END PGP MESSAGE-----") + 25]
        plain = subprocess.run(["gpg", "--homedir", home, "--batch", "--decrypt"], input=armor,
                               capture_output=True, text=True, check=True).stdout
        assert BODY in plain, plain
        print("ok 3 - its draft is in Drafts, sealed: the body is only in what gpg decrypts")
        outside = draft.replace(armor, "")
        assert SUBJECT not in outside and TO not in outside, outside
        assert SUBJECT in plain and TO in plain, plain
        print("ok 4 - the subject and the recipients are only in what gpg decrypts")

        log.seek(0)
        stderr = log.read()
        assert "A draft could not be saved before exit: the message has no valid sender (From)" in stderr, stderr
        assert UNSAVABLE not in stderr and BODY not in stderr and SUBJECT not in stderr and TO not in stderr
        print("ok 5 - the message with no sender was logged, without its words, and did not hold up the exit")
    finally:
        app.close()


if __name__ == "__main__":
    main()
