#!/usr/bin/python3
"""Sign in the real binary, through AT-SPI: Sign by default (a GSettings
key) turns the toggle on in a new message, Ctrl+Shift+S turns it off and
on; a signed message is delivered to the local store, where gpg verifies
its detached signature over the exact signed part (RFC 3156); a sealed and
signed one decrypts with gpg, and the signature inside is the demo
sender's."""

import email
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from signet_atspi import network_up, App, Atspi, Settings, click, text_of, type_into, wait_for, walk  # noqa: E402

HASHES = {"2": "sha1", "8": "sha256", "9": "sha384", "10": "sha512", "11": "sha224"}


def keys(*names):
    subprocess.run(["xdotool", "key", "--clearmodifiers", *names], check=True)


def pressed(node):
    return node.get_state_set().contains(Atspi.StateType.PRESSED)


def inbox(app, address):
    root = os.path.join(app.data_dir, "Local", address, "Inbox")
    return [os.path.join(d, f) for d, _, files in os.walk(root) for f in files
            if os.path.basename(d) in ("new", "cur")]


def gpg(home, *args):
    return subprocess.run(["gpg", "--homedir", home, "--batch", "--status-fd", "1", *args],
                          capture_output=True, check=False)


def demo_fingerprint(home):
    out = subprocess.run(["gpg", "--homedir", home, "--with-colons", "--list-secret-keys", "demo@example.org"],
                         capture_output=True, text=True, check=True).stdout
    return next(line.split(":")[9] for line in out.splitlines() if line.startswith("fpr:"))


def valid_signature(status, fingerprint):
    """The VALIDSIG fields, after checking the signature is good and the demo's."""
    assert "[GNUPG:] GOODSIG " in status, status
    [line] = [line for line in status.splitlines() if line.startswith("[GNUPG:] VALIDSIG ")]
    fields = line.split()[2:]
    assert fields[0] == fingerprint, (fields, fingerprint)
    return fields


def fill(app, to, subject, body):
    type_into(app, "To", to)
    type_into(app, "Subject", subject)
    type_into(app, "Message body", body)


def sign_button_on(app):
    sign = app.wait_find("push button", "Sign")
    wait_for(lambda: pressed(sign), "Sign to be on (Sign by default)")
    return sign


def check_signed(path, home, fingerprint, tmp):
    raw = open(path, "rb").read()
    message = email.message_from_bytes(raw)
    assert message.get_content_type() == "multipart/signed", message.get_content_type()
    assert message.get_param("protocol") == "application/pgp-signature"
    boundary = message.get_boundary().encode()
    delimiter = b"\n--" + boundary + b"\n"
    start = raw.index(delimiter) + len(delimiter)
    end = raw.index(delimiter, start)
    signed = re.sub(rb"\r?\n", b"\r\n", raw[start:end])
    data_path, sig_path = os.path.join(tmp, "signed.part"), os.path.join(tmp, "signature.asc")
    with open(data_path, "wb") as f:
        f.write(signed)
    with open(sig_path, "wb") as f:
        f.write(message.get_payload()[1].get_payload(decode=True))
    result = gpg(home, "--verify", sig_path, data_path)
    assert result.returncode == 0, result.stderr.decode()
    fields = valid_signature(result.stdout.decode(), fingerprint)
    assert message.get_param("micalg") == "pgp-" + HASHES[fields[7]], (message.get_param("micalg"), fields[7])
    # The same bytes with one changed no longer verify.
    with open(data_path, "wb") as f:
        f.write(signed.replace(b"Signed by", b"Signed bx", 1))
    assert "[GNUPG:] BADSIG " in gpg(home, "--verify", sig_path, data_path).stdout.decode()


def check_sealed_and_signed(path, home, fingerprint, tmp):
    message = email.message_from_bytes(open(path, "rb").read())
    assert message.get_content_type() == "multipart/encrypted", message.get_content_type()
    cipher_path, plain_path = os.path.join(tmp, "cipher.asc"), os.path.join(tmp, "plain.eml")
    with open(cipher_path, "wb") as f:
        f.write(message.get_payload()[1].get_payload(decode=True))
    result = gpg(home, "--output", plain_path, "--decrypt", cipher_path)
    assert result.returncode == 0, result.stderr.decode()
    status = result.stdout.decode()
    assert "[GNUPG:] DECRYPTION_OKAY" in status, status
    valid_signature(status, fingerprint)
    assert b"Sealed and signed by the demo." in open(plain_path, "rb").read()


def send_and_wait(app, address):
    click(app.wait_find("push button", "Send"))
    wait_for(lambda: inbox(app, address), f"{address} to receive the message", timeout=60)
    # Delivered, and nothing left to do: Signet ends by itself.
    assert app.proc.wait(timeout=60) == 0
    [path] = inbox(app, address)
    return path


def main():
    binary, schema_dir = sys.argv[1], sys.argv[2]
    network_up()
    tmp = tempfile.mkdtemp(prefix="sgu.")
    settings = Settings(tmp, schema_dir)
    settings.set("sign-by-default", True)
    home = os.path.join(tmp, "data", "signet", "demo-gnupg")
    app = App(binary, "--demo", schema_dir=schema_dir, tmp=tmp, extra_env=settings.app_env())
    try:
        app.wait_find("frame", "New Message")
        sign = sign_button_on(app)
        print("ok - Sign by default turns Sign on in a new message")
        # The pointer in the window (X focus follows it here).
        subprocess.run(["xdotool", "mousemove", "200", "200"], check=True)
        keys("ctrl+shift+s")
        wait_for(lambda: not pressed(sign), "Ctrl+Shift+S to turn Sign off")
        keys("ctrl+shift+s")
        wait_for(lambda: pressed(sign), "Ctrl+Shift+S to turn Sign on again")
        assert not app.files_in("Drafts"), "Ctrl+Shift+S saved a draft"
        print("ok - Ctrl+Shift+S turns Sign off and on (and saves no draft)")
        keys("ctrl+question")
        shortcuts = wait_for(lambda: app.toplevels(name="Keyboard Shortcuts"), "the shortcuts window")[0]
        wait_for(lambda: any(text_of(n) == "Sign on or off" or n.get_name() == "Sign on or off"
                             for n in walk(shortcuts)), "Sign in the shortcuts window")
        keys("Escape")
        wait_for(lambda: not app.toplevels(name="Keyboard Shortcuts"), "the shortcuts window to close")
        print("ok - the shortcuts window lists Sign")
        fill(app, "alice@example.org", "Signed only", "Signed by the demo.\nFrom here on, trailing spaces:   \n")
        path = send_and_wait(app, "alice@example.org")
        fingerprint = demo_fingerprint(home)
        check_signed(path, home, fingerprint, tmp)
        print("ok - Sign alone: gpg verifies the delivered message's signature over the exact signed part")
    finally:
        app.close(remove=False)

    app = App(binary, "--demo", schema_dir=schema_dir, tmp=tmp, extra_env=settings.app_env())
    try:
        app.wait_find("frame", "New Message")
        sign_button_on(app)
        app.seal_on()
        fill(app, "bob@example.org", "Sealed and signed", "Sealed and signed by the demo.\n")
        path = send_and_wait(app, "bob@example.org")
        check_sealed_and_signed(path, home, fingerprint, tmp)
        print("ok - Seal and Sign: gpg decrypts the delivered message and the signature is the demo's")
    finally:
        subprocess.run(["gpgconf", "--homedir", home, "--kill", "all"], check=False)
        app.close()


if __name__ == "__main__":
    main()
