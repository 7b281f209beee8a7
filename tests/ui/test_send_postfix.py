#!/usr/bin/python3
"""A sealed message with a Bcc, composed in the real binary through the
accessibility tree and delivered through a real Postfix, its Sent copy kept
by a real Dovecot (tests/servers/mailservers.py, on loopback in a network
namespace of the test's own).

Set up only as a user would: the account in GSettings (the gsettings command
on the settings the app reads), the password in a real Secret Service
(gnome-keyring-daemon on the test's session bus, stored with secret-tool
from standard input), and the server's certificate trusted by its public
key pin, since its authority is no one the system knows.

Checked at the servers: each recipient's Maildir holds exactly one copy;
the Bcc recipient's copy is only in their mailbox and their address in no
other copy; each copy decrypts with its recipient's own key (a GnuPG home
holding that key pair alone); the Sent copy is in Dovecot's Sent folder,
once, marked seen, and decrypts with the sender's key. Postfix logged
STARTTLS and SASL for the submission, Dovecot a TLS login. No file the app
wrote under its config, data or cache dirs, and nothing it logged, holds
the password."""

import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from signet_atspi import (DEMO_IDENTITY as IDENTITY, App, Keyring, MailServers, Settings, click,  # noqa: E402
                          configure_account, export_secret_key,
                          files_containing, gpg_decrypt, make_gnupghome, parse_message,
                          remove_gnupghome, run_in_mail_namespace, secret_forms, text_of, type_into,
                          wait_for, walk)

TO = "alice@example.org"
BCC = "carol@example.org"
SUBJECT = "Lighthouse keys"
BODY = "The spare keys are under the third stone from the gate."


def key_id(home, address, kind="sub"):
    out = subprocess.run(["gpg", "--homedir", home, "--with-colons", "--list-keys", f"<{address}>"],
                         capture_output=True, text=True, check=True).stdout
    return [line.split(":")[4] for line in out.splitlines() if line.startswith(kind + ":")][0]


def outbox_words(app, settings):
    """What the Outbox window says (why a send waits), opened as the
    notification's "Show Outbox" would (app.outbox)."""
    path = "/" + settings.schema.replace(".", "/")
    subprocess.run(["gdbus", "call", "--session", "--dest", settings.schema, "--object-path", path,
                    "--method", "org.gtk.Actions.Activate", "outbox", "[]", "{}"],
                   check=False, capture_output=True, timeout=10)
    try:
        window = wait_for(lambda: next((w for w in app.toplevels() if "Outbox" in (w.get_name() or "")), None),
                          "the Outbox window", 10)
    except AssertionError:
        return "(the Outbox window did not open)"
    words = []
    for node in walk(window):
        try:
            for text in (node.get_name(), node.get_description(), text_of(node)):
                if text and text not in words:
                    words.append(text)
        except Exception:
            continue
    return " | ".join(words)


def message_ids(paths):
    return [str(parse_message(p)["Message-ID"]).strip() for p in paths]


def main():
    run_in_mail_namespace()
    binary, schema_dir = sys.argv[1], sys.argv[2]
    root = tempfile.mkdtemp(prefix="sgp.", dir="/tmp")
    os.chmod(root, 0o755)  # the mail daemons' users traverse it
    runtime = os.path.join(root, "runtime")
    os.mkdir(runtime, 0o700)
    os.environ["XDG_RUNTIME_DIR"] = runtime
    servers = keyring = app = None
    homes = []
    try:
        servers = MailServers(os.path.join(root, "servers"))
        keyring = Keyring(os.path.join(root, "keyring"))
        sender_home = make_gnupghome()
        homes.append(sender_home)
        tmp = os.path.join(root, "app")
        settings = Settings(tmp, schema_dir)
        configure_account(settings, servers, keyring)
        password = servers.password("demo")

        app = App(binary, schema_dir=schema_dir, tmp=tmp,
                  extra_env={**settings.app_env(), "GNUPGHOME": sender_home})
        app.wait_find("frame", "New Message")
        from_field = app.wait_find("text", "From")
        wait_for(lambda: text_of(from_field) == IDENTITY, "the identity from GSettings in From")
        type_into(app, "To", TO)
        type_into(app, "Bcc", BCC)
        type_into(app, "Subject", SUBJECT)
        type_into(app, "Message body", BODY)
        app.seal_on()
        click(app.wait_find("push button", "Send"))

        try:
            wait_for(lambda: servers.messages("alice") and servers.messages("carol"), "delivery to alice and carol",
                     90)
        except AssertionError:
            raise AssertionError("nothing was delivered; the Outbox says: " + outbox_words(app, settings))
        wait_for(lambda: servers.messages("demo", "Sent"), "the Sent copy in Dovecot", 90)
        wait_for(lambda: not [f for f in app.files_in("Outbox") if "/new/" in f], "an empty Outbox", 60)
        # Nothing queued and no window left: signet ends by itself.
        code = app.proc.wait(timeout=60)
        assert code == 0, f"signet exited with {code}"
        servers.wait_settled()
        print("ok 1 - composed through AT-SPI, sent through Postfix; signet exited by itself, status 0")

        [to_alice] = servers.messages("alice")
        [to_carol] = servers.messages("carol")
        assert servers.messages("bob") == [] and servers.messages("demo") == []
        for path, rcpt in ((to_alice, TO), (to_carol, BCC)):
            msg = parse_message(path)
            assert str(msg["Return-Path"]) == "<demo@example.org>", msg["Return-Path"]
            assert str(msg["Delivered-To"]) == rcpt, msg["Delivered-To"]
        print("ok 2 - exactly one copy in alice's and one in carol's Maildir, none elsewhere; "
              "envelope from demo@example.org")

        alice_home = export_secret_key(sender_home, TO)
        carol_home = export_secret_key(sender_home, BCC)
        demo_home = export_secret_key(sender_home, "demo@example.org")
        homes += [alice_home, carol_home, demo_home]
        carol_key = key_id(sender_home, BCC)
        raw, plain, packets = gpg_decrypt(alice_home, to_alice)
        assert BODY in plain and SUBJECT in plain, plain
        assert BODY not in raw and SUBJECT not in raw
        assert "carol" not in raw.lower() and "carol" not in plain.lower(), "the Bcc recipient shows in the To copy"
        assert carol_key not in packets, packets
        raw, plain, packets = gpg_decrypt(carol_home, to_carol)
        assert BODY in plain and BODY not in raw, plain
        assert carol_key not in packets and "keyid 0000000000000000" in packets, packets
        print("ok 3 - each copy decrypts with its recipient's key alone; the Bcc recipient is in no other copy "
              "and their key ID is hidden")

        sent = servers.messages("demo", "Sent")
        ids = message_ids(sent)
        assert len(ids) == len(set(ids)), f"a Sent copy is there twice: {ids}"
        [alice_id] = message_ids([to_alice])
        assert alice_id in ids, (alice_id, ids)
        [sent_copy] = [p for p, i in zip(sent, ids) if i == alice_id]
        assert "/cur/" in sent_copy and ":2," in sent_copy and "S" in sent_copy.rsplit(":2,", 1)[1], sent_copy
        _, plain, _ = gpg_decrypt(demo_home, sent_copy)
        assert BODY in plain, plain
        print(f"ok 4 - the Sent copy is in Dovecot's Sent folder once ({len(sent)} message(s) there), "
              "marked seen, and decrypts with the sender's key")

        with open(servers.env["POSTFIX_LOG"], encoding="utf-8", errors="replace") as f:
            postfix_log = f.read()
        # Each session that handed over mail said STARTTLS before AUTH, as demo.
        sessions = [line for line in postfix_log.splitlines() if "disconnect from" in line and " data=1" in line]
        assert len(sessions) == 2, postfix_log
        assert all(" starttls=1 auth=1 " in line for line in sessions), sessions
        assert postfix_log.count("sasl_username=demo") == 2, postfix_log
        with open(servers.env["DOVECOT_LOG"], encoding="utf-8", errors="replace") as f:
            dovecot_log = f.read()
        assert any("Login: user=<demo>" in line and "TLS" in line for line in dovecot_log.splitlines()), dovecot_log
        print("ok 5 - Postfix logged STARTTLS and SASL as demo; Dovecot a TLS login as demo")

        secrets = secret_forms(password)
        roots = [os.path.join(tmp, d) for d in ("config", "data", "cache")]
        found, n = files_containing(roots, secrets)
        assert n > 0, "the app wrote no file at all"
        assert not found, f"files holding the password: {found}"
        log = app.read_log()
        assert not any(s.decode("utf-8", "replace") in log for s in secrets), "the password is in signet's log"
        assert "smtp-host='127.0.0.1'" in open(os.path.join(tmp, "config", "glib-2.0", "settings", "keyfile"),
                                                encoding="utf-8").read()
        assert not [f for f in app.files_in("Outbox") if "/.failed/" in f], app.files_in("Outbox")
        print(f"ok 6 - none of the {n} files under signet's config, data and cache dirs, nor its log, "
              "holds the password")
    finally:
        if app is not None:
            app.close(remove=False)
        if keyring is not None:
            keyring.stop()
        if servers is not None:
            servers.stop()
        for home in homes:
            remove_gnupghome(home)
        if os.environ.get("SIGNET_TEST_KEEP"):
            print(f"# kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
