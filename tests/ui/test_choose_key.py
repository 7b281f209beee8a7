#!/usr/bin/python3
"""The key picker in the real binary, through AT-SPI: an address that two
valid keys match says so on its pill, which offers the choice; the dialog
that refuses to seal to such an address offers it too. The key chosen is
the one Send seals to (gpg --list-packets of the delivered copy shows it,
and not the other)."""

import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from signet_atspi import App, Atspi, button_labelled, click, pgp_armor, wait_for, walk  # noqa: E402

from test_recipients import described, mailbox, network_up  # noqa: E402


def gpg(home, *args):
    return subprocess.run(["gpg", "--homedir", home, "--batch", *args],
                          check=True, capture_output=True, text=True).stdout


def make_key(home, user_id):
    """A new key pair (signing primary, encryption subkey) for @user_id;
    returns (primary fingerprint, encryption subkey's key ID)."""
    gpg(home, "--passphrase", "", "--quick-gen-key", user_id, "future-default", "default", "never")
    fingerprint = subkey = None
    for line in gpg(home, "--with-colons", "--list-keys", user_id).splitlines():
        fields = line.split(":")
        if fields[0] == "fpr" and fingerprint is None:
            fingerprint = fields[9]
        if fields[0] == "sub" and "e" in fields[11]:
            subkey = fields[4]
    assert fingerprint and subkey, f"no key made for {user_id}"
    return fingerprint, subkey


def picker_window(app):
    return next((w for w in app.toplevels("frame") if (w.get_name() or "").startswith("Choose a Key for ")), None)


def choose(app, label):
    """In the open picker, ticks the key labelled @label and uses it."""
    # Within the picker only, once the window that opened it is gone:
    # walking into a window as GTK 4.8 tears it down can crash its
    # accessibility code.
    wait_for(lambda: not app.toplevels("dialog"), "the dialog to close")
    picker = wait_for(lambda: picker_window(app), "the key picker")
    check = wait_for(lambda: next((n for n in walk(picker) if n.get_role_name() == "check box"
                                   and n.get_name() == label), None), f"the key {label}")
    # GTK 4.8 gives check buttons no AT-SPI action nor focus call: as a
    # keyboard user does, Tab to the key and tick it with Space.
    window = subprocess.run(["xdotool", "search", "--name", "^Choose a Key for "],
                            capture_output=True, text=True, check=True).stdout.split()[0]
    subprocess.run(["xdotool", "windowfocus", "--sync", window], check=True)
    for _ in range(12):
        if check.get_state_set().contains(Atspi.StateType.FOCUSED):
            break
        subprocess.run(["xdotool", "key", "Tab"], check=True)
        time.sleep(0.2)
    assert check.get_state_set().contains(Atspi.StateType.FOCUSED), f"Tab never reached {label}"
    subprocess.run(["xdotool", "key", "space"], check=True)
    wait_for(lambda: check.get_state_set().contains(Atspi.StateType.CHECKED), f"{label} to be ticked")
    use = wait_for(lambda: button_labelled(picker, "Use This Key"), "the picker's Use This Key button")
    wait_for(lambda: use.get_state_set().contains(Atspi.StateType.SENSITIVE), "Use This Key to be enabled")
    click(use)
    # Only the application's own children: walking into a window as GTK
    # 4.8 tears it down can crash its accessibility code.
    wait_for(lambda: picker_window(app) is None, "the picker to close")


def sealed_to(app, email, home):
    """The key IDs the one copy @email received is sealed to."""
    wait_for(lambda: mailbox(app, email), f"{email} to receive the message", timeout=60)
    root = os.path.join(app.data_dir, "Local", email, "Inbox")
    files = [os.path.join(d, f) for d, _, names in os.walk(root) for f in names
             if os.path.basename(d) in ("new", "cur")]
    assert len(files) == 1, files
    with open(files[0], encoding="utf-8", errors="replace") as f:
        armor = pgp_armor(f.read())
    # The packets as they are, in an empty GnuPG home of the test's own:
    # the demo's keyring would start its gpg-agent from the test, not from
    # Signet (whose exit must leave none).
    empty = tempfile.mkdtemp(prefix="sgp.", dir="/tmp")
    try:
        packets = subprocess.run(["gpg", "--homedir", empty, "--batch", "--list-only", "--list-packets"],
                                 input=armor, capture_output=True, text=True).stdout
    finally:
        subprocess.run(["gpgconf", "--homedir", empty, "--kill", "all"], check=False)
        shutil.rmtree(empty, ignore_errors=True)
    return {line.split("keyid ")[1].split()[0] for line in packets.splitlines()
            if line.startswith(":pubkey enc packet:")}


def main():
    binary, schema_dir = sys.argv[1], sys.argv[2]
    network_up()
    app = App(binary, "--demo", schema_dir=schema_dir)
    try:
        app.wait_find("frame", "New Message")
        home = os.path.join(app.data_dir, "demo-gnupg")
        wait_for(lambda: os.path.exists(os.path.join(home, "pubring.kbx")), "the demo directory")
        _, dana_home = make_key(home, "Dana at Home <dana@example.org>")
        _, dana_work = make_key(home, "Dana at Work <dana@example.org>")
        _, sam_old = make_key(home, "Sam Old <sam@example.org>")
        _, sam_new = make_key(home, "Sam New <sam@example.org>")

        # The pill says so, and offers the choice.
        app.seal_on()
        to = app.wait_find("text", "To")
        Atspi.EditableText.set_text_contents(to, "dana@example.org,")
        wait_for(lambda: described(to, "dana@example.org", "Several"), "dana's pill to say several keys match")
        click(app.wait_find("push button", "Choose Key for dana@example.org"))
        picker = wait_for(lambda: picker_window(app), "the key picker")
        wait_for(lambda: any(n.get_name() == "Dana at Home <dana@example.org>" for n in walk(picker)
                             if n.get_role_name() == "check box"), "Dana's keys in the picker")
        print("ok - the pill of an address with two keys says so and opens the key picker")
        choose(app, "Dana at Work <dana@example.org>")
        wait_for(lambda: described(to, "dana@example.org", "Valid sealing key"), "dana's pill to say her key is valid")
        assert app.find("push button", "Choose Key for dana@example.org") is None or \
            not app.find("push button", "Choose Key for dana@example.org").get_state_set().contains(
                Atspi.StateType.SHOWING)
        print("ok - once a key is chosen the pill says the key is valid")

        # Send right away: the dialog refuses sam, offers his picker.
        Atspi.EditableText.set_text_contents(to, "sam@example.org,")
        click(app.wait_find("push button", "Send"))
        try:
            dialog = app.wait_find("dialog", "Some Recipients Cannot Receive Sealed Mail")
        except Exception:
            # Sent after all: to whom, and sealed to which keys.
            for email in ("dana@example.org", "sam@example.org"):
                if mailbox(app, email):
                    print(f"# {email} received it, sealed to {sealed_to(app, email, home)}; "
                          f"sam's keys: old {sam_old}, new {sam_new}", flush=True)
            raise
        offer = wait_for(lambda: button_labelled(dialog, "Choose Key for sam@example.org…"),
                         "the dialog's Choose Key button")
        click(offer)
        choose(app, "Sam Old <sam@example.org>")
        print("ok - the refusal dialog opens the key picker for an address with two keys")

        click(app.wait_find("push button", "Send"))
        dana_keys = sealed_to(app, "dana@example.org", home)
        sam_keys = sealed_to(app, "sam@example.org", home)
        assert dana_work in dana_keys and dana_home not in dana_keys, (dana_keys, dana_work, dana_home)
        assert sam_old in sam_keys and sam_new not in sam_keys, (sam_keys, sam_old, sam_new)
        print("ok - Send seals to the chosen keys only (gpg --list-packets)")
    finally:
        app.close()


if __name__ == "__main__":
    main()
