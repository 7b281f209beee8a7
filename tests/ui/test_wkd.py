#!/usr/bin/python3
"""The Web Key Directory in the real binary, through AT-SPI, against a real
WKD for example.org served over HTTPS on 127.0.0.1:443
(tests/servers/wkdserver.py, in the private namespace it makes), set up as
a user would (GSettings):

- WKD off: a recipient whose key only their domain publishes is refused as
  having no key;
- WKD on: Send with Seal finds the key there, but refuses to seal to it
  until it is reviewed (user ID, fingerprint, the domain that published
  it) and accepted, also after a restart; then the message is sealed to
  it, and its owner decrypts the delivered copy."""

import os
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # nothing written into the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "servers"))
from signet_atspi import PYTHON, Settings, button_labelled, click, skip, wait_for  # noqa: E402

import wkdserver  # noqa: E402
from test_directory import compose, decrypts_for, received, start  # noqa: E402
from test_recipients import network_up  # noqa: E402

TO = "frank@example.org"
REFUSED = "Some Recipients Cannot Receive Sealed Mail"


def in_namespace():
    """Runs this script again in the fixture's namespace, with its own
    D-Bus session and X server, unless it runs there already."""
    if os.environ.get(wkdserver.HOST_MOUNTS) and wkdserver.in_private_namespace():
        return
    try:
        wkdserver._check_tools()
    except wkdserver.Unavailable as e:
        skip(str(e))
    sys.stdout.flush()
    sys.exit(wkdserver.netns(["dbus-run-session", "--", "xvfb-run", "-a", "-s", "-screen 0 1280x800x24 -noreset",
                              PYTHON, os.path.abspath(sys.argv[0]), *sys.argv[1:]]))


def refused_for(app):
    click(app.wait_find("push button", "Send"))
    return app.wait_find("dialog", REFUSED, timeout=60)


def main():
    in_namespace()
    binary, schema_dir = sys.argv[1], sys.argv[2]
    network_up()
    tmp = tempfile.mkdtemp(prefix="sgk.", dir="/tmp")
    servers_dir = os.path.join(tmp, "wkd")
    env = wkdserver.start(servers_dir).env
    settings = Settings(tmp, schema_dir)
    try:
        # WKD off: the keyring alone, which has no key for frank.
        app = start(binary, schema_dir, tmp)
        try:
            compose(app, TO)
            dialog = refused_for(app)
            wait_for(lambda: app.find("label", contains="No sealing key was found"),
                     "frank refused for want of a key")
            assert button_labelled(dialog, f"Review Key for {TO}…") is None
            assert not received(app, TO)
            print(f"ok 1 - with WKD off, {TO} is refused as having no key")
        finally:
            app.close(remove=False)

        settings.set("directory-wkd", True)
        app = start(binary, schema_dir, tmp)
        try:
            compose(app, TO)
            dialog = refused_for(app)
            wait_for(lambda: button_labelled(dialog, f"Review Key for {TO}…"), "the refusal's Review Key button")
            assert not received(app, TO)
            print("ok 2 - with WKD on, Send finds the key in the domain's WKD and refuses it until reviewed")
        finally:
            app.close(remove=False)

        # Not reviewed then; after a restart the keyring has the key, and
        # the refusal still offers its review.
        app = start(binary, schema_dir, tmp)
        try:
            compose(app, TO)
            dialog = refused_for(app)
            review = wait_for(lambda: button_labelled(dialog, f"Review Key for {TO}…"),
                              "the refusal's Review Key button after a restart")
            click(review)
            # Walking into a dialog while it closes can bring GTK 4.8 down:
            # the refusal is gone first.
            wait_for(lambda: not app.toplevels("dialog", REFUSED), "the refusal to close")
            accept = app.wait_find("dialog", f"Use the Key Found for {TO}?")
            grouped = " ".join(env["FRANK_FPR"][i:i + 4] for i in range(0, 40, 4))
            assert app.find("label", contains=grouped), "the fingerprint is shown"
            assert app.find("label", contains="Frank Herbert <frank@example.org>"), "the user ID is shown"
            assert app.find("label", contains="Published by example.org in its Web Key Directory"), \
                "where it came from is shown"
            print("ok 3 - after a restart the review is still offered: user ID, fingerprint and the publishing "
                  "domain shown")
            click(button_labelled(accept, "Use This Key"))
            wait_for(lambda: not app.toplevels("dialog"), "the review to close")
            assert not received(app, TO)
            click(app.wait_find("push button", "Send"))
            assert decrypts_for(env, app, TO)
            assert app.proc.wait(timeout=60) == 0
            print("ok 4 - once accepted, Send seals to it and its owner decrypts the delivered copy")
        finally:
            app.close(remove=False)
    finally:
        wkdserver.stop(servers_dir)
        subprocess.run(["rm", "-rf", tmp], check=False)
    print("1..4")


if __name__ == "__main__":
    main()
