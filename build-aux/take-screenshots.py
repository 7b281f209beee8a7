#!/usr/bin/python3
"""Takes the README and AppStream screenshots of signet --demo under Xvfb.

usage (from the top of the tree, after a build):
  dbus-run-session -- xvfb-run -a -s "-screen 0 1280x800x24" \
    build-aux/take-screenshots.py _build/src/signet _build/data data/screenshots
Run it under `unshare -rn` for the offline dialog to appear."""

import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "ui"))
from signet_atspi import KB_HEADING, App, Atspi, click, type_into  # noqa: E402


def shoot(path, width, height, x=0, y=0):
    subprocess.run(["import", "-window", "root", "-crop", f"{width}x{height}+{x}+{y}", "+repage", path], check=True)


def main():
    binary, schema_dir, out = sys.argv[1:4]
    os.makedirs(out, exist_ok=True)
    app = App(binary, "--demo", schema_dir=schema_dir)
    try:
        app.wait_find("frame", "New Message")
        type_into(app, "To", "Alice Demo <alice@example.org>")
        type_into(app, "Cc", "bob@example.org")
        type_into(app, "Subject", "Q3 figures")
        type_into(app, "Message body", "Hi Alice,\n\nthe figures are attached. Sealed, as agreed.\n\nSam")
        app.seal_on()
        subprocess.run(["sleep", "0.5"], check=True)
        shoot(os.path.join(out, "compose.png"), 760, 620)
        click(app.wait_find("push button", "Send"))
        dialog = app.wait_find("dialog", KB_HEADING)
        subprocess.run(["sleep", "0.5"], check=True)
        # Without a window manager the dialog sits at 0,0; its extents leave
        # out the client-side shadow, hence the margin.
        box = Atspi.Component.get_extents(dialog, Atspi.CoordType.WINDOW)
        shoot(os.path.join(out, "offline-dialog.png"), box.width + 10, box.height + 10)
    finally:
        app.close()


if __name__ == "__main__":
    main()
