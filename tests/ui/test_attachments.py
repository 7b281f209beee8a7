#!/usr/bin/python3
"""Attachments in the real binary, through AT-SPI and the X server: a
message that says "attached" with nothing attached asks before it is sent
(Cancel keeps it, Send Anyway sends it); a file dragged from another
application onto the window is attached, and then Send asks nothing; a
mention in a quoted line asks nothing either. The window's title follows
the subject."""

import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from signet_atspi import App, Atspi, button_labelled, click, type_into, wait_for  # noqa: E402

from test_recipients import mailbox, network_up  # noqa: E402

HEADING = "Did You Forget an Attachment?"


def received(app, email):
    root = os.path.join(app.data_dir, "Local", email, "Inbox")
    files = [os.path.join(d, f) for d, _, names in os.walk(root) for f in names
             if os.path.basename(d) in ("new", "cur")]
    contents = []
    for path in files:
        with open(path, encoding="utf-8", errors="replace") as f:
            contents.append(f.read())
    return contents


def compose(app, subject, body):
    app.wait_find("frame", "New Message")
    type_into(app, "To", "alice@example.org")
    type_into(app, "Subject", subject)
    type_into(app, "Message body", body)


def x_window(name):
    found = subprocess.run(["xdotool", "search", "--name", f"^{name}$"], capture_output=True, text=True).stdout.split()
    return found[0] if found else None


def drag(start, end):
    """Presses the first button at @start and releases it at @end, moving
    in steps as a hand does (GTK starts a drag past a threshold)."""
    subprocess.run(["xdotool", "mousemove", *map(str, start), "mousedown", "1"], check=True)
    steps = 12
    for i in range(1, steps + 1):
        x = start[0] + (end[0] - start[0]) * i // steps
        y = start[1] + (end[1] - start[1]) * i // steps
        subprocess.run(["xdotool", "mousemove", str(x), str(y)], check=True)
        time.sleep(0.05)
    time.sleep(0.3)
    subprocess.run(["xdotool", "mouseup", "1"], check=True)


def run_reminder_then_drop(binary, schema_dir, tmp):
    app = App(binary, "--demo", schema_dir=schema_dir)
    source = None
    try:
        compose(app, "Report", "Hello Alice,\n\nthe report is attached.\n")
        # The window is named after the subject (X sees it too).
        wait_for(lambda: app.find("frame", "Report"), "the window to be titled by its subject")
        assert x_window("Report"), "no X window titled Report"
        print("ok - the window's title follows the subject")

        click(app.wait_find("push button", "Send"))
        dialog = app.wait_find("dialog", HEADING)
        assert app.find("label", "The message mentions “attached”, but nothing is attached.")
        click(button_labelled(dialog, "Cancel"))
        wait_for(lambda: not app.toplevels("dialog", HEADING), "the reminder to close")
        time.sleep(1)
        assert not received(app, "alice@example.org")
        assert app.find("frame", "Report")
        print("ok - 'attached' with no attachment asks first; Cancel keeps the message and sends nothing")

        # A file dragged from another application onto the message.
        path = os.path.join(tmp, "report.txt")
        with open(path, "w", encoding="utf-8") as f:
            f.write("Quarter results: 42\n")
        source = subprocess.Popen([sys.executable, os.path.join(os.path.dirname(__file__), "drag_source.py"), path],
                                  stdout=subprocess.PIPE, text=True)
        assert source.stdout.readline().strip() == "ready"
        window = wait_for(lambda: x_window("Drag Source"), "the drag source's window")
        subprocess.run(["xdotool", "windowmove", "--sync", window, "900", "0"], check=True)
        subprocess.run(["xdotool", "windowmove", "--sync", x_window("Report"), "0", "0"], check=True)
        drag((1050, 100), (380, 420))
        wait_for(lambda: app.find("label", "report.txt"), "report.txt to be attached")
        print("ok - a file dropped onto the window from another application is attached")

        click(app.wait_find("push button", "Send"))
        wait_for(lambda: received(app, "alice@example.org"), "alice to receive the message", timeout=60)
        message = received(app, "alice@example.org")
        assert len(message) == 1 and "report.txt" in message[0], message
        assert app.proc.wait(timeout=60) == 0
        print("ok - with the file attached, Send asks nothing and the file arrives")
    finally:
        if source is not None:
            source.terminate()
            source.wait()
        app.close()


def run_quoted(binary, schema_dir):
    app = App(binary, "--demo", schema_dir=schema_dir)
    try:
        compose(app, "Re: minutes", "Thanks!\n\n> I attached the minutes.\n")
        click(app.wait_find("push button", "Send"))
        wait_for(lambda: received(app, "alice@example.org"), "alice to receive the reply", timeout=60)
        assert not app.toplevels("dialog", HEADING)
        assert app.proc.wait(timeout=60) == 0
        print("ok - a mention only in a quoted line asks nothing")
    finally:
        app.close()


def run_send_anyway(binary, schema_dir):
    app = App(binary, "--demo", schema_dir=schema_dir)
    try:
        compose(app, "Contract", "The contract is enclosed.\n")
        click(app.wait_find("push button", "Send"))
        dialog = app.wait_find("dialog", HEADING)
        click(button_labelled(dialog, "Send Anyway"))
        wait_for(lambda: received(app, "alice@example.org"), "alice to receive the message", timeout=60)
        assert app.proc.wait(timeout=60) == 0
        print("ok - Send Anyway sends without an attachment")
    finally:
        app.close()


def main():
    binary, schema_dir = sys.argv[1], sys.argv[2]
    network_up()
    with tempfile.TemporaryDirectory(prefix="sg-attach.") as tmp:
        run_reminder_then_drop(binary, schema_dir, tmp)
    run_quoted(binary, schema_dir)
    run_send_anyway(binary, schema_dir)


if __name__ == "__main__":
    main()
