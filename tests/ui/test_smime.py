#!/usr/bin/python3
"""S/MIME in the real binary, through AT-SPI, against a real OpenLDAP slapd
holding X.509 certificates and its CA's CRL (tests/servers/x509directory.py),
set up as a user would (GSettings, gpgsm's keybox and trustlist.txt):

- a recipient with only a certificate in the directory: Send seals with
  S/MIME, says so, and the recipient's key opens it with OpenSSL;
- a revoked certificate is refused by name;
- an OpenPGP-only and an S/MIME-only recipient: the message is not sent,
  and the words say who each way of sealing cannot reach."""

import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "servers"))
from signet_atspi import Atspi, Settings, click, wait_for  # noqa: E402

import x509directory  # noqa: E402
from signet_atspi import App  # noqa: E402
from test_directory import BODY, compose, received  # noqa: E402
from test_recipients import network_up, pills  # noqa: E402


def start(binary, schema_dir, tmp, home):
    """Signet with the user's own keyring (not the demo's, whose sender is
    fixed): the identity setting names the sender."""
    return App(binary, schema_dir=schema_dir, tmp=tmp,
               extra_env={"GSETTINGS_BACKEND": "keyfile", "GNUPGHOME": home})


def main():
    binary, schema_dir = sys.argv[1], sys.argv[2]
    network_up()
    tmp = tempfile.mkdtemp(prefix="sgs.")
    servers_dir = os.path.join(tmp, "servers")
    try:
        servers = x509directory.start(servers_dir)
    except x509directory.Unavailable as e:
        print(f"1..0 # SKIP {e}")
        sys.exit(77)
    env = servers.env
    # The sender's certificate and the trusted CA in the user's GnuPG home
    # (GNUPGHOME); its dirmngr.conf names no server: Signet names them.
    home = os.path.join(tmp, "g")
    servers.smime_home(home, secret=("tim",), servers=False)
    directory = f"{env['LDAP_URL']}/{env['LDAP_BASE']}"
    settings = Settings(tmp, schema_dir)
    settings.set("directory-servers", [directory])
    settings.set("directory-trusted", [directory])
    settings.set("identity", "Tim Berners-Lee <tim@example.org>")
    try:
        app = start(binary, schema_dir, tmp, home)
        try:
            compose(app, "hedy@example.org")
            click(app.wait_find("push button", "Send"))
            files = wait_for(lambda: received(app, "hedy@example.org"), "hedy to receive the message", timeout=60)
            with open(files[0], encoding="utf-8", errors="replace") as f:
                text = f.read()
            assert "application/pkcs7-mime; smime-type=enveloped-data" in text, text[:400]
            assert BODY not in text
            opened = subprocess.run(["openssl", "cms", "-decrypt", "-in", files[0], "-recip", env["HEDY_CERT"],
                                     "-inkey", os.path.join(servers_dir, "x509", "hedy.key")],
                                    capture_output=True, text=True, check=True)
            assert BODY in opened.stdout
            print("ok - a recipient with only a certificate in the directory gets S/MIME that OpenSSL opens")
            assert app.proc.wait(timeout=60) == 0
        finally:
            app.close(remove=False)

        app = start(binary, schema_dir, tmp, home)
        try:
            compose(app, "ida@example.org")
            click(app.wait_find("push button", "Send"))
            app.wait_find("dialog", "Some Recipients Cannot Receive Sealed Mail")
            wait_for(lambda: app.find("label", contains="revoked"), "ida refused as revoked")
            assert not received(app, "ida@example.org")
            print("ok - a revoked certificate is refused by name")
        finally:
            app.close(remove=False)

        # dora's OpenPGP key is in the (trusted) directory; the sender needs
        # one too for OpenPGP: the demo's own, under tim's address, is not.
        app = start(binary, schema_dir, tmp, home)
        try:
            compose(app, "dora@example.org")
            field = app.wait_find("text", "To")
            Atspi.EditableText.set_text_contents(field, "hedy@example.org,")
            wait_for(lambda: any(name.endswith("hedy@example.org") for name, _ in pills(field)), "a pill for hedy")
            click(app.wait_find("push button", "Send"))
            app.wait_find("dialog", "The Message Was Not Sent")
            wait_for(lambda: app.find("label", contains="S/MIME cannot reach dora@example.org"),
                     "the words to say who blocks which")
            assert app.find("label", contains="OpenPGP cannot reach hedy@example.org")
            assert not received(app, "dora@example.org")
            print("ok - an OpenPGP-only and an S/MIME-only recipient: who each way cannot reach is said")
        finally:
            app.close(remove=False)
    finally:
        x509directory.stop(servers_dir)
        subprocess.run(["rm", "-rf", tmp], check=False)


if __name__ == "__main__":
    main()
