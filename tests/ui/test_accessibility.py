#!/usr/bin/python3
"""Every control a user can reach has a name a screen reader can say, and
can take keyboard focus: the compose window, its main menu, preferences
and the KB dialog; the keyboard shortcuts and About windows open and are named. A name
that is empty or a widget type name (GtkImage, AdwGizmo…) is a missing
label."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from signet_atspi import KB_HEADING, App, Atspi, click, type_into, wait_for, walk  # noqa: E402

CONTROLS = {"push button", "toggle button", "check box", "radio button", "menu item", "check menu item",
            "radio menu item", "text", "entry", "password text", "combo box", "menu", "spin button"}
TOPLEVELS = {"frame", "dialog", "window"}


def unnamed(name):
    return not name or name.startswith(("Gtk", "Adw"))


def misnamed(name):
    """Named by a mnemonic label as written ("_Work Online"), or by it and
    its text ("_Work Online Work Online"): GTK 4.8 names a plain button
    with a mnemonic so."""
    words = name.split()
    return "_" in name or (len(words) % 2 == 0 and words[:len(words) // 2] == words[len(words) // 2:])


def on_screen(node):
    """Shown with a size: a hidden or collapsed widget (say, a closed search
    bar's entry) is not something a user can reach."""
    if not node.get_state_set().contains(Atspi.StateType.VISIBLE):
        return False
    if "Component" not in node.get_interfaces():
        return True  # nothing to measure (the application node, menus): judged as shown
    box = Atspi.Component.get_extents(node, Atspi.CoordType.WINDOW)
    return box.width > 0 and box.height > 0


def focusable(node):
    return any(n.get_state_set().contains(Atspi.StateType.FOCUSABLE) for n in walk(node))


def check(root, where):
    problems = []
    for node in walk(root):
        role = node.get_role_name()
        if not on_screen(node):
            continue
        if role in CONTROLS or role in TOPLEVELS:
            if unnamed(node.get_name()):
                problems.append(f"{where}: {role} without a name ({node.get_name()!r})")
            elif misnamed(node.get_name()):
                problems.append(f"{where}: {role} named {node.get_name()!r}")
            elif role in CONTROLS and role != "menu" and not focusable(node):
                problems.append(f"{where}: {role} {node.get_name()!r} cannot take keyboard focus")
    assert not problems, "\n".join(problems)
    n = sum(1 for n in walk(root) if n.get_role_name() in CONTROLS and on_screen(n))
    assert n > 0, f"{where}: no visible control found to check"
    return n


def toplevel(app, name):
    return wait_for(lambda: (app.toplevels(name=name) or [None])[0], f"the window {name!r}")


def main():
    binary, schema_dir = sys.argv[1], sys.argv[2]
    app = App(binary, "--demo", schema_dir=schema_dir)
    try:
        compose = app.wait_find("frame", "New Message")
        click(app.wait_find("push button", "Main Menu"))
        app.wait_find("menu item", "Keyboard Shortcuts")
        n = check(compose, "compose window with its main menu open")
        print(f"ok 1 - compose window and main menu: {n} controls, all named and focusable")

        # The menu is built after the window's first frame: its items are
        # announced by their kind all the same.
        kinds = {node.get_name(): node.get_role_name() for node in walk(compose)
                 if node.get_role_name().endswith("menu item")}
        expected = {"Save Draft": "menu item", "Check Names": "menu item", "Check Spelling": "check menu item",
                    "Spelling Language": "menu item", "Outbox": "menu item", "Work Offline": "check menu item",
                    "Preferences": "menu item", "About Signet": "menu item",
                    "English (United States)": "radio menu item", "German (Germany)": "radio menu item"}
        assert {name: kinds.get(name) for name in expected} == expected, kinds
        print("ok 2 - the main menu's check and radio items are announced as such")

        # GtkShortcutsWindow and AdwAboutWindow are GTK's and libadwaita's
        # own; of them only the window's name is ours to give.
        click(app.wait_find("menu item", "Keyboard Shortcuts"))
        toplevel(app, "Keyboard Shortcuts")
        print("ok 3 - the keyboard shortcuts window opens from the main menu, named")

        click(app.wait_find("push button", "Main Menu"))
        click(app.wait_find("menu item", "About Signet"))
        toplevel(app, "About")
        print("ok 4 - About opens from the main menu")

        click(app.wait_find("push button", "Main Menu"))
        click(app.wait_find("menu item", "Preferences"))
        preferences = toplevel(app, "Preferences")
        wait_for(lambda: app.find("text", "Name and address"), "the identity field")
        n = check(preferences, "preferences")
        print(f"ok 5 - preferences: {n} controls, all named and focusable")

        # Work Offline shows the offline banner and its button.
        click(app.wait_find("push button", "Main Menu"))
        click(app.wait_find("check menu item", "Work Offline"))
        work_online = app.wait_find("push button", "Work Online")
        n = check(compose, "compose window working offline")
        click(work_online)
        wait_for(lambda: not work_online.get_state_set().contains(Atspi.StateType.SHOWING),
                 "the offline banner to go")
        print(f"ok 6 - compose window working offline: {n} controls, all named and focusable")

        type_into(app, "To", "alice@example.org")
        app.seal_on()
        click(app.wait_find("push button", "Send"))
        dialog = app.wait_find("dialog", KB_HEADING)
        n = check(dialog, "KB dialog")
        print(f"ok 7 - the KB dialog: {n} controls, all named and focusable")
    finally:
        app.close()


if __name__ == "__main__":
    main()
