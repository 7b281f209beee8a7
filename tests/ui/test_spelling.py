#!/usr/bin/python3
"""Spell checking in the real binary, through AT-SPI and the screen: a
misspelt word typed into the body is underlined (the text attribute
screen readers get, and a red squiggle on the screen under it, none under
a word spelt right); a right click on it offers corrections in the context
menu, and choosing one corrects the body. The Subject is checked too."""

import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from signet_atspi import App, Atspi, click, text_of, wait_for, walk  # noqa: E402

TYPED = "Please recieve this message "
WRONG = (7, 14)   # "recieve"
RIGHT = (0, 6)    # "Please"


def underline_at(node, offset):
    attributes = Atspi.Text.get_attribute_run(node, offset, False)[0]
    return attributes.get("underline", "none")


def red_pixels(shot, x, y, width, height):
    """How many clearly red pixels the box holds (the error underline is red,
    text is grey on white)."""
    out = subprocess.run(["convert", shot, "-crop", f"{width}x{height}+{x}+{y}", "+repage", "-depth", "8",
                          "txt:-"], capture_output=True, text=True, check=True).stdout
    count = 0
    for line in out.splitlines()[1:]:
        r, g, b = (int(float(v)) for v in line.split("(", 1)[1].split(")", 1)[0].split(",")[:3])
        if r - g > 60 and r - b > 60:
            count += 1
    return count


def word_box(body, span):
    """The screen box just below a word: where an underline is drawn."""
    first = Atspi.Text.get_character_extents(body, span[0], Atspi.CoordType.WINDOW)
    last = Atspi.Text.get_character_extents(body, span[1] - 1, Atspi.CoordType.WINDOW)
    # No window manager: the window sits at 0,0, so window is screen.
    return first.x, first.y + first.height - 4, last.x + last.width - first.x, 8


def menu_items(app):
    items = []
    for node in walk(app.node):
        try:
            if node.get_role_name() == "menu item":
                items.append(node)
        except Exception:
            continue
    return items


def item_named(app, name):
    return next((item for item in menu_items(app) if item.get_name() == name), None)


def states(node):
    state_set = node.get_state_set()
    return {name for name, state in (("sensitive", Atspi.StateType.SENSITIVE), ("checked", Atspi.StateType.CHECKED))
            if state_set.contains(state)}


def main_menu_item(app, name):
    return wait_for(lambda: next((node for node in walk(app.node)
                                  if node.get_role_name().endswith("menu item") and node.get_name() == name), None),
                    f"{name!r} in the main menu")


def without_dictionaries(binary, schema_dir):
    """Signet on a system without any dictionary: the system's hunspell
    directory is hidden under an empty tmpfs (a mount namespace of its own,
    inside the test's user namespace)."""
    hide = 'mount -t tmpfs none /usr/share/hunspell && exec "$0" "$@"'
    app = App("unshare", "-m", "sh", "-c", hide, binary, "--demo", "mailto:alice@example.org",
              schema_dir=schema_dir)
    try:
        app.wait_find("frame", "New Message")
        body = app.wait_find("text", "Message body")
        subprocess.run(["xdotool", "mousemove", "300", "450"], check=True)
        subprocess.run(["xdotool", "type", "--delay", "20", TYPED], check=True)
        wait_for(lambda: text_of(body) == TYPED, "the typed text in the body")
        time.sleep(0.5)  # what would be checked is checked by now; nothing may be underlined
        assert underline_at(body, WRONG[0] + 1) == "none"
        click(app.wait_find("push button", "Main Menu"))
        assert "sensitive" not in states(main_menu_item(app, "Check Spelling"))
        assert "sensitive" not in states(main_menu_item(app, "No Dictionaries Installed"))
    finally:
        app.close()


def main():
    binary, schema_dir = sys.argv[1], sys.argv[2]
    # Addressed already: the composer starts in the body. (The personal
    # dictionary is under the app's own XDG_CONFIG_HOME.)
    app = App(binary, "--demo", "mailto:alice@example.org", schema_dir=schema_dir)
    try:
        app.wait_find("frame", "New Message")
        body = app.wait_find("text", "Message body")
        # The pointer in the window (X focus follows it here).
        subprocess.run(["xdotool", "mousemove", "300", "450"], check=True)
        subprocess.run(["xdotool", "type", "--delay", "20", TYPED], check=True)
        wait_for(lambda: text_of(body) == TYPED, "the typed text in the body")
        wait_for(lambda: underline_at(body, WRONG[0] + 1) == "error", "'recieve' to be underlined as an error")
        run = Atspi.Text.get_attribute_run(body, WRONG[0] + 1, False)
        assert (run.start_offset, run.end_offset) == WRONG, (run.start_offset, run.end_offset)
        assert underline_at(body, RIGHT[0] + 1) == "none"
        assert underline_at(body, 20) == "none"
        print("ok - a misspelt word typed into the body carries the error underline, exactly over it")

        with tempfile.TemporaryDirectory(prefix="sgu-shot.") as tmp:
            shot = os.path.join(tmp, "shot.png")
            subprocess.run(["import", "-window", "root", shot], check=True)
            under_wrong = red_pixels(shot, *word_box(body, WRONG))
            under_right = red_pixels(shot, *word_box(body, RIGHT))
        assert under_wrong >= 10, under_wrong
        assert under_right == 0, under_right
        print(f"ok - on screen a red squiggle runs under it ({under_wrong} red pixels), none under a correct word")

        # Right click on the word: its corrections in the context menu.
        box = Atspi.Text.get_character_extents(body, WRONG[0] + 2, Atspi.CoordType.WINDOW)
        subprocess.run(["xdotool", "mousemove", str(box.x + box.width // 2), str(box.y + box.height // 2),
                        "click", "3"], check=True)
        receive = wait_for(lambda: item_named(app, "receive"), "'receive' in the context menu")
        names = [item.get_name() for item in menu_items(app)]
        assert "Add to Dictionary" in names and "Ignore" in names, names
        print("ok - a right click on it offers corrections, Add to Dictionary and Ignore")
        click(receive)
        wait_for(lambda: text_of(body) == "Please receive this message ", "the body to be corrected")
        wait_for(lambda: underline_at(body, WRONG[0] + 1) == "none", "the corrected word to lose its underline")
        print("ok - choosing a correction corrects the body, and the underline goes")

        # From the keyboard: the Menu key opens the menu for the word at the cursor.
        # Keys go nowhere until the menu has gone and the body has the focus again.
        wait_for(lambda: body.get_state_set().contains(Atspi.StateType.FOCUSED), "the body to have the focus back")
        time.sleep(0.3)
        subprocess.run(["xdotool", "key", "--clearmodifiers", "ctrl+End"], check=True)
        subprocess.run(["xdotool", "type", "--delay", "20", "agian"], check=True)
        wait_for(lambda: text_of(body).endswith("agian"), "the second word typed")
        subprocess.run(["xdotool", "key", "--clearmodifiers", "Left"], check=True)
        end = len(TYPED) + len("agian")
        wait_for(lambda: underline_at(body, end - 2) == "error", "'agian' to be underlined once the cursor moves")
        subprocess.run(["xdotool", "key", "--clearmodifiers", "Menu"], check=True)
        wait_for(lambda: item_named(app, "again"), "'again' in the context menu opened with the Menu key")
        subprocess.run(["xdotool", "key", "--clearmodifiers", "Escape"], check=True)
        print("ok - the Menu key opens the corrections for the word at the cursor")

        subject = app.wait_find("text", "Subject")
        Atspi.EditableText.set_text_contents(subject, "Meeting agnda")
        wait_for(lambda: underline_at(subject, 9) == "error", "'agnda' in the Subject to be underlined")
        assert underline_at(subject, 2) == "none"
        print("ok - a misspelt word in the Subject is underlined, a correct one is not")

        click(app.wait_find("push button", "Main Menu"))
        assert states(main_menu_item(app, "Check Spelling")) == {"sensitive", "checked"}
        english = main_menu_item(app, "English (United States)")
        assert states(english) == {"sensitive", "checked"}, states(english)
        assert "sensitive" in states(main_menu_item(app, "German (Germany)"))
        print("ok - the main menu has Check Spelling on, and the dictionaries by name, English chosen")
    finally:
        app.close()

    without_dictionaries(binary, schema_dir)
    print("ok - without any dictionary Signet runs, underlines nothing, and its menu says so")


if __name__ == "__main__":
    main()
