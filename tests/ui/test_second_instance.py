#!/usr/bin/python3
"""A second `signet` reaches the running instance, and what it asks for is
done or refused out loud: --offline switches Work Offline on there; --demo
while the running Signet uses the own keyring is refused (a message, a
dialog, exit status 1). A plain `signet` while the demo runs opens there."""

import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from signet_atspi import App, Atspi, button_labelled, click, text_of, wait_for, walk  # noqa: E402

REFUSAL = "Signet is already running with your own keyring. Quit it to use the demo directory."


def frames(app):
    # Composers only are open here; each is titled by its subject.
    return app.toplevels("frame")


def work_online_shown(app):
    """The offline banner offers Work Online only while Work Offline is on."""
    for frame in frames(app):
        button = button_labelled(frame, "Work Online")
        if button is not None and button.get_state_set().contains(Atspi.StateType.VISIBLE):
            return True
    return False


def main():
    binary, schema_dir = sys.argv[1], sys.argv[2]
    gnupg = tempfile.mkdtemp(prefix="sgk.")
    os.chmod(gnupg, 0o700)
    app = App(binary, schema_dir=schema_dir, extra_env={"GNUPGHOME": gnupg})
    try:
        app.wait_find("frame", "New Message")
        demo = subprocess.run([binary, "--demo"], env=app.env, capture_output=True, text=True, timeout=30)
        assert demo.returncode == 1, demo
        assert REFUSAL in demo.stderr, demo.stderr
        dialog = app.wait_find("dialog", "Signet Is Already Running")
        assert any(REFUSAL in text_of(n) for n in walk(dialog))
        assert len(frames(app)) == 1, "no composer may open on the own keyring for --demo"
        assert not os.path.exists(os.path.join(app.data_dir, "demo-gnupg"))
        click(button_labelled(dialog, "Close"))
        wait_for(lambda: not app.toplevels("dialog", "Signet Is Already Running"), "the dialog to close")
        print("ok 1 - --demo to an instance on the own keyring: refused, with a message, a dialog and status 1")

        assert not work_online_shown(app)
        offline = subprocess.run([binary, "--offline"], env=app.env, capture_output=True, text=True, timeout=30)
        assert offline.returncode == 0, offline
        wait_for(lambda: len(frames(app)) == 2, "the composer it opens")
        wait_for(lambda: work_online_shown(app), "Work Offline to be on (its banner offers Work Online)")
        print("ok 2 - --offline to the running instance switches Work Offline on there")
    finally:
        app.close()
        subprocess.run(["gpgconf", "--homedir", gnupg, "--kill", "all"], check=False)
        shutil.rmtree(gnupg, ignore_errors=True)

    app = App(binary, "--demo", schema_dir=schema_dir)
    try:
        app.wait_find("frame", "New Message")
        plain = subprocess.run([binary], env=app.env, capture_output=True, text=True, timeout=30)
        assert plain.returncode == 0, plain
        wait_for(lambda: len(frames(app)) == 2, "a second composer in the demo instance")
        print("ok 3 - a plain second signet opens in the running demo instance")
    finally:
        app.close()


if __name__ == "__main__":
    main()
