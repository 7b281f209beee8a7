#!/usr/bin/python3
"""Proves the X.509 directory fixture with clients that are not Signet's:
the people's certificates are on their entries in slapd; gpgsm, through
dirmngr and nothing but the home's dirmngr.conf, finds them there by mail
address; it accepts the valid ones, refuses the revoked one (CRL fetched from
the directory), the expired one and the one from the untrusted CA; openssl
agrees on the chain; the sender's secret key signs. TAP output; exit 77
(skip) without the server packages."""

import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # nothing written into the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import directoryservers  # noqa: E402
import x509directory  # noqa: E402
from test_directoryservers import check, ldap_values, ldapsearch, results, run  # noqa: E402


def gpgsm(home, *args, stdin=None):
    return run(["gpgsm", "--homedir", home, "--batch", "--no-tty", *args], stdin)


def validity(home, fpr):
    """gpgsm's validity letter for fpr after validating its chain."""
    r = gpgsm(home, "--with-colons", "--with-validation", "--list-keys", fpr)
    for line in r.stdout.splitlines():
        if line.startswith("crt:"):
            return line.split(":")[1]
    return "missing"


def test_ldap(env):
    r = ldapsearch(env, "(userCertificate;binary=*)", "mail")
    check("six people carry a userCertificate;binary",
          sorted(ldap_values(r.stdout, "mail")) == sorted(f"{u}@example.org" for u in x509directory.CERTS),
          r.stdout + r.stderr)
    r = run(["ldapsearch", "-x", "-H", env["LDAP_URL"], "-b", env["CA_DN"], "-s", "base", "-LLL",
             "certificateRevocationList;binary"])
    check("the CA's entry holds its CRL", r.returncode == 0 and "certificateRevocationList;binary::" in r.stdout,
          r.stdout + r.stderr)


def test_gpgsm(servers, work):
    env = servers.env
    home = servers.smime_home(os.path.join(work, "h"), secret=("tim",))
    r = gpgsm(home, "--with-colons", "--list-external-keys", "hedy@example.org")
    check("gpgsm finds hedy's certificate in the directory through dirmngr",
          r.returncode == 0 and env["HEDY_X509_FPR"] in r.stdout, r.stdout + r.stderr)
    certs = [env[f"{u.upper()}_CERT"] for u in ("hedy", "ida", "karl", "lise")]
    gpgsm(home, "--import", *certs)
    expected = {"hedy": "f", "ida": "r", "karl": "e", "lise": "i", "tim": "f"}
    states = {u: validity(home, env[f"{u.upper()}_X509_FPR"]) for u in expected}
    check("chains: hedy and tim valid, ida revoked by the CRL, karl expired, lise untrusted", states == expected,
          states)
    for uid, reason in (("hedy", None), ("ida", "Certificate revoked"), ("karl", "Certificate expired"),
                        ("lise", "Not trusted")):
        r = gpgsm(home, "--armor", "--encrypt", "-r", f"{uid}@example.org", stdin="for one\n")
        if reason is None:
            check("gpgsm encrypts to hedy", r.returncode == 0 and "encrypted data created" in r.stderr, r.stderr)
        else:
            check(f"gpgsm refuses {uid}: {reason}", r.returncode != 0 and reason in r.stderr, r.stderr)
    r = run(["gpgsm", "--homedir", home, "--batch", "--no-tty", "--pinentry-mode", "loopback", "--passphrase", "",
             "-u", "tim@example.org", "--armor", "--detach-sign"], "signed by tim\n")
    check("tim's secret key signs (imported without a passphrase)", r.returncode == 0 and r.stdout, r.stderr)
    for uid, ok in (("hedy", True), ("karl", False), ("lise", False)):
        r = run(["openssl", "verify", "-CAfile", env["CA_CERT"], env[f"{uid.upper()}_CERT"]])
        check(f"openssl verify of {uid} against the test CA: {'OK' if ok else 'refused'}",
              (r.returncode == 0) == ok, r.stdout + r.stderr)
    servers.revoke("hedy")
    # dirmngr keeps a CRL until its next update (30 days): forget it
    socket = subprocess.run(["gpgconf", "--homedir", home, "--list-dirs", "dirmngr-socket"],
                            capture_output=True, text=True, check=True).stdout.strip()
    run(["gpgconf", "--homedir", home, "--kill", "dirmngr"])
    # The old dirmngr answers nothing while it ends: gpgsm must start a new one.
    deadline = time.monotonic() + 10
    while os.path.exists(socket) and time.monotonic() < deadline:
        time.sleep(0.05)
    shutil.rmtree(os.path.join(home, "crls.d"), ignore_errors=True)
    r = gpgsm(home, "--armor", "--encrypt", "-r", "hedy@example.org", stdin="for one\n")
    check("revoke() publishes a new CRL: gpgsm then refuses hedy as revoked",
          r.returncode != 0 and "Certificate revoked" in r.stderr, r.stderr)


def main():
    work = tempfile.mkdtemp(prefix="signet-x509-")
    directory = os.path.join(work, "servers")
    try:
        try:
            servers = x509directory.start(directory)
        except x509directory.Unavailable as e:
            print(f"1..0 # SKIP {e}")
            return 77
        try:
            test_ldap(servers.env)
            test_gpgsm(servers, work)
        finally:
            x509directory.stop(directory)
        left = directoryservers._processes_of(os.path.abspath(work))
        check("no process of the fixture is left (slapd, sks, gpg-agent, dirmngr)", not left, left)
        r = subprocess.run([sys.executable, x509directory.__file__, "smime-home"], capture_output=True)
        check("the command line refuses a wrong call (exit 2)", r.returncode == 2, r.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"1..{len(results)}")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
