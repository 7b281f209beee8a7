#!/usr/bin/python3
"""The keyboard shortcuts, pressed for real (xdotool) in the real binary,
offline. Without a window manager every window sits at 0,0 and X focus
follows the pointer, so the pointer rests inside the top-left window."""

import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gi.repository import Atspi  # noqa: E402
from signet_atspi import KB_HEADING, App, type_into, wait_for  # noqa: E402


def press(keys):
    subprocess.run(["xdotool", "mousemove", "200", "200"], check=True)
    subprocess.run(["xdotool", "key", "--clearmodifiers", keys], check=True)


def expanded(node):
    return node.get_state_set().contains(Atspi.StateType.EXPANDED)


def drafts(app):
    return [f for f in app.files_in("Drafts") if "/new/" in f]


def main():
    binary, schema_dir = sys.argv[1], sys.argv[2]
    app = App(binary, "--demo", schema_dir=schema_dir)
    try:
        app.wait_find("frame", "New Message")
        type_into(app, "To", "alice@example.org")
        type_into(app, "Message body", "Typed, then shortcuts.")
        app.seal_on()

        for keys, what in (("ctrl+k", "Check Names"), ("ctrl+Return", "Send")):
            press(keys)
            wait_for(lambda: app.toplevels("dialog", KB_HEADING), f"the KB dialog after {keys}")
            press("Escape")
            wait_for(lambda: not app.toplevels("dialog", KB_HEADING), "the dialog to close")
            print(f"ok - {keys} ({what}) with Seal on, offline: the KB dialog; Escape closes it")
        assert app.files_in("Outbox") == [] and app.files_in("Sent") == []

        press("ctrl+s")
        wait_for(lambda: len(drafts(app)) == 1, "a draft after ctrl+s")
        with open(drafts(app)[0], encoding="utf-8") as f:
            assert "Typed, then shortcuts." not in f.read()
        print("ok - ctrl+s saves a sealed draft")

        # Twice: closed, the window goes, and is made again.
        for _ in range(2):
            press("ctrl+question")
            wait_for(lambda: app.toplevels(name="Keyboard Shortcuts"), "the shortcuts window after ctrl+?")
            press("Escape")
            wait_for(lambda: not app.toplevels(name="Keyboard Shortcuts"), "the shortcuts window to close")
            # Every window listed to screen readers can be walked.
            assert app.find("push button", "Main Menu") is not None
        print("ok - ctrl+? shows the keyboard shortcuts; Escape closes them")

        menu_button = app.wait_find("push button", "Main Menu")
        assert not expanded(menu_button)
        press("F10")
        wait_for(lambda: expanded(menu_button) and app.find("menu item", "Keyboard Shortcuts"),
                 "the main menu after F10")
        press("Escape")
        wait_for(lambda: not expanded(menu_button), "the main menu to close")
        print("ok - F10 opens the main menu; Escape closes it")

        press("ctrl+comma")
        wait_for(lambda: app.toplevels(name="Preferences"), "preferences after ctrl+,")
        press("ctrl+w")
        wait_for(lambda: not app.toplevels(name="Preferences"), "preferences to close")
        print("ok - ctrl+, opens preferences; ctrl+w closes them")

        press("ctrl+n")
        wait_for(lambda: len(app.toplevels("frame", "New Message")) == 2, "a second composer after ctrl+n")
        press("ctrl+w")
        wait_for(lambda: len(app.toplevels("frame", "New Message")) == 1, "ctrl+w to close one composer")
        print("ok - ctrl+n opens a new message; ctrl+w closes it")

        press("ctrl+q")
        assert app.proc.wait(timeout=30) == 0
        print("ok - ctrl+q quits")
    finally:
        app.close()


if __name__ == "__main__":
    main()
