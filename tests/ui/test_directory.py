#!/usr/bin/python3
"""The directory as servers, in the real binary, through AT-SPI, against a
real OpenLDAP slapd and a real sks keyserver on loopback
(tests/servers/directoryservers.py), set up as a user would (GSettings):

- a partial name completes from the LDAP directory with the keyboard;
- a key only in the (trusted) LDAP directory is located at Send and sealed
  to: its owner decrypts what arrives;
- a key found on an untrusted keyserver is refused until reviewed and
  accepted in the dialog, then sealed to;
- a key valid in the keyring but revoked on the keyserver is refused as
  revoked;
- slapd stopped while the network is up: the KB dialog, with its exact
  heading, naming the server; nothing written."""

import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "servers"))
from signet_atspi import App, Atspi, Settings, button_labelled, click, gpg_decrypt, type_into, wait_for  # noqa: E402

import directoryservers  # noqa: E402
from test_recipients import described, keys, network_up, pills  # noqa: E402

KB_HEADING = "The client operation failed. The recipients could not be validated."
BODY = "The quarterly figures, for your eyes only."


def received(app, email):
    root = os.path.join(app.data_dir, "Local", email, "Inbox")
    return [os.path.join(d, f) for d, _, names in os.walk(root) for f in names
            if os.path.basename(d) in ("new", "cur")]


def decrypts_for(env, app, email):
    files = wait_for(lambda: received(app, email), f"{email} to receive the message", timeout=60)
    assert len(files) == 1, files
    _, plain, _ = gpg_decrypt(env["KEYS_HOME"], files[0])
    return BODY in plain


def start(binary, schema_dir, tmp):
    return App(binary, "--demo", schema_dir=schema_dir, tmp=tmp, extra_env={"GSETTINGS_BACKEND": "keyfile"})


def compose(app, to):
    app.wait_find("frame", "New Message")
    app.seal_on()
    field = app.wait_find("text", "To")
    Atspi.EditableText.set_text_contents(field, to + ",")
    wait_for(lambda: any(name.endswith(to) for name, _ in pills(field)), f"a pill for {to}")
    type_into(app, "Subject", "Figures")
    type_into(app, "Message body", BODY)


def main():
    binary, schema_dir = sys.argv[1], sys.argv[2]
    network_up()
    tmp = tempfile.mkdtemp(prefix="sgd.")
    servers_dir = os.path.join(tmp, "servers")
    try:
        servers = directoryservers.start(servers_dir)
    except directoryservers.Unavailable as e:
        print(f"1..0 # SKIP {e}")
        sys.exit(77)
    env = servers.env
    settings = Settings(tmp, schema_dir)
    settings.set("directory-servers", [env["LDAP_URL"], env["HKP_URL"]])
    settings.set("directory-trusted", [env["LDAP_URL"]])
    try:
        # Completion from LDAP, then Send to the LDAP-only key.
        app = start(binary, schema_dir, tmp)
        try:
            app.wait_find("frame", "New Message")
            to = app.wait_find("text", "To")
            subprocess.run(["xdotool", "mousemove", "200", "200"], check=True)
            keys("alt+t")
            subprocess.run(["xdotool", "type", "--delay", "30", "Dor"], check=True)
            wait_for(lambda: app.find("list", "Suggested addresses") or app.find("list box", "Suggested addresses"),
                     "the suggestions for 'Dor'")
            keys("Down", "Up", "Return")
            wait_for(lambda: any("dora@example.org" in name for name, _ in pills(to)), "Dora chosen from the directory")
            print("ok - a partial name completes from the LDAP directory with the keyboard")

            app.seal_on()
            type_into(app, "Subject", "Figures")
            type_into(app, "Message body", BODY)
            click(app.wait_find("push button", "Send"))
            assert decrypts_for(env, app, "dora@example.org")
            assert app.proc.wait(timeout=60) == 0
            print("ok - a key only in the trusted LDAP directory is found at Send; its owner decrypts the message")
        finally:
            app.close(remove=False)

        # An untrusted keyserver's key: reviewed, accepted, then sealed to.
        app = start(binary, schema_dir, tmp)
        try:
            compose(app, "frank@example.org")
            click(app.wait_find("push button", "Send"))
            dialog = app.wait_find("dialog", "Some Recipients Cannot Receive Sealed Mail")
            review = wait_for(lambda: button_labelled(dialog, "Review Key for frank@example.org…"),
                              "the dialog's Review Key button")
            click(review)
            wait_for(lambda: not app.toplevels("dialog", "Some Recipients Cannot Receive Sealed Mail"),
                     "the refusal to close")
            accept = app.wait_find("dialog", "Use the Key Found for frank@example.org?")
            grouped = " ".join(env["FRANK_FPR"][i:i + 4] for i in range(0, 40, 4))
            assert app.find("label", contains=grouped), "the fingerprint is shown"
            assert app.find("label", contains=env["HKP_URL"]), "where it was found is shown"
            assert not received(app, "frank@example.org")
            click(button_labelled(accept, "Use This Key"))
            wait_for(lambda: not app.toplevels("dialog"), "the review to close")
            print("ok - a key from an untrusted keyserver is refused until reviewed: fingerprint and server shown")
            click(app.wait_find("push button", "Send"))
            assert decrypts_for(env, app, "frank@example.org")
            assert app.proc.wait(timeout=60) == 0
            print("ok - once accepted, Send seals to it and its owner decrypts the message")
        finally:
            app.close(remove=False)

        # Valid here, revoked on the keyserver.
        home = os.path.join(tmp, "data", "signet", "demo-gnupg")
        subprocess.run(["gpg", "--homedir", home, "--batch", "--import", env["GRACE_KEY"]],
                       check=True, capture_output=True)
        subprocess.run(["gpg", "--homedir", home, "--batch", "--yes", "--pinentry-mode", "loopback",
                        "--passphrase", "", "--default-key", "demo@example.org", "--quick-lsign-key", env["GRACE_FPR"]], check=True, capture_output=True)
        directoryservers.revoke_on_sks(servers_dir, "grace")
        app = start(binary, schema_dir, tmp)
        try:
            compose(app, "grace@example.org")
            to = app.wait_find("text", "To")
            wait_for(lambda: described(to, "grace@example.org", "Valid sealing key"),
                     "the keyring to call grace's key valid before Send")
            click(app.wait_find("push button", "Send"))
            app.wait_find("dialog", "Some Recipients Cannot Receive Sealed Mail")
            wait_for(lambda: app.find("label", contains="revoked"), "grace refused as revoked")
            assert not received(app, "grace@example.org")
            print("ok - a key valid in the keyring but revoked on the keyserver is refused as revoked")
        finally:
            app.close(remove=False)

        # slapd down, network up: the KB dialog, naming the server.
        directoryservers.stop_ldap(servers_dir)
        app = start(binary, schema_dir, tmp)
        try:
            compose(app, "olga@example.org")
            click(app.wait_find("push button", "Send"))
            dialog = app.wait_find("dialog", KB_HEADING)
            assert app.find("label", contains=env["LDAP_URL"]), "the server is named"
            assert button_labelled(dialog, "Save Draft") is not None
            outbox = os.path.join(app.data_dir, "Mail", "Outbox")
            assert not [f for d, _, names in os.walk(outbox) for f in names if os.path.basename(d) in ("new", "cur")]
            print("ok - with slapd stopped, Send shows the KB dialog naming the server and writes nothing")
        finally:
            app.close(remove=False)
    finally:
        directoryservers.stop(servers_dir)
        subprocess.run(["rm", "-rf", tmp], check=False)


if __name__ == "__main__":
    main()
