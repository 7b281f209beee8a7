#!/usr/bin/python3
"""Proves the mail server fixture with clients that are not Signet's: curl
submits over STARTTLS with AUTH and the message lands once in alice's
Maildir; IMAP logins list Sent marked \\Sent; after stop() nothing of it
runs and its ports are closed. TAP output; exit 77 (skip) without root or
the server packages."""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # nothing written into the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mailservers  # noqa: E402

results = []


def check(name, ok, detail=""):
    results.append(ok)
    print(f"{'ok' if ok else 'not ok'} {len(results)} - {name}")
    if not ok and detail:
        for line in str(detail).splitlines():
            print(f"# {line}")


def curl(*args):
    return subprocess.run(["curl", "-sS", "--max-time", "20", *args], capture_output=True, text=True)


def wait_for_files(folder, n, seconds=10):
    deadline = time.monotonic() + seconds
    while len(os.listdir(folder)) < n and time.monotonic() < deadline:
        time.sleep(0.02)
    return sorted(os.listdir(folder))


def test_submission(servers, work):
    env = servers.env
    message = os.path.join(work, "message.eml")
    with open(message, "w", encoding="ascii", newline="") as f:
        f.write("From: Signet Demo <demo@example.org>\r\nTo: Alice <alice@example.org>\r\n"
                "Subject: fixture proof\r\nMessage-ID: <fixture-proof@example.org>\r\n\r\nhello alice\r\n")
    r = curl("--url", f"smtp://{env['HOST']}:{env['SMTP_PORT']}", "--ssl-reqd", "--cacert", env["CA_FILE"],
             "--user", f"demo:{servers.password('demo')}", "--mail-from", "demo@example.org",
             "--mail-rcpt", "alice@example.org", "--upload-file", message)
    check("curl submits with STARTTLS and AUTH (demo's password has a space, ':' and '%')",
          r.returncode == 0, r.stderr)
    new = os.path.join(servers.maildir("alice"), "new")
    files = wait_for_files(new, 1)
    check("the message is in alice's Maildir, once", len(files) == 1, files)
    body = ""
    if files:
        with open(os.path.join(new, files[0]), encoding="utf-8", errors="replace") as f:
            body = f.read()
    check("it is the message that was sent",
          "Message-ID: <fixture-proof@example.org>" in body and "hello alice" in body, body)
    others = [u for u in ("bob", "carol", "demo") if os.listdir(os.path.join(servers.maildir(u), "new"))]
    check("nobody else got it", not others, others)

    r = curl("--url", f"smtp://{env['HOST']}:{env['SMTP_PORT']}", "--ssl-reqd", "--cacert", env["CA_FILE"],
             "--user", "alice:not-her-password", "--mail-from", "alice@example.org",
             "--mail-rcpt", "bob@example.org", "--upload-file", message)
    check("a wrong password is refused", r.returncode == 67, r.stderr)


def test_imap(servers):
    env = servers.env
    user = f"alice:{servers.password('alice')}"
    r = curl("--cacert", env["CA_FILE"], "--user", user, f"imaps://{env['HOST']}:{env['IMAPS_PORT']}/",
             "-X", 'LIST (SPECIAL-USE) "" "*"')
    check("IMAPS login lists Sent as \\Sent", r.returncode == 0 and '(\\Sent) "/" Sent' in r.stdout,
          r.stdout + r.stderr)
    r = curl("--ssl-reqd", "--cacert", env["CA_FILE"], "--user", user,
             f"imap://{env['HOST']}:{env['IMAP_PORT']}/INBOX", "-X", "SEARCH HEADER Message-ID fixture-proof")
    check("IMAP with STARTTLS finds the message in alice's INBOX",
          r.returncode == 0 and "SEARCH 1" in r.stdout, r.stdout + r.stderr)


def port_closed(port):
    try:
        socket.create_connection(("127.0.0.1", int(port)), timeout=1).close()
        return False
    except OSError:
        return True


def main():
    work = tempfile.mkdtemp(prefix="signet-servers-")
    os.chmod(work, 0o755)
    directory = os.path.join(work, "servers")
    try:
        try:
            servers = mailservers.start(directory)
        except mailservers.Unavailable as e:
            print(f"1..0 # SKIP {e}")
            return 77
        print(f"# ready in {servers.env['READY_SECONDS']} s")
        try:
            test_submission(servers, work)
            test_imap(servers)
        finally:
            t0 = time.monotonic()
            mailservers.stop(directory)
            print(f"# stopped in {time.monotonic() - t0:.2f} s")
        left = mailservers._processes_below(os.path.abspath(directory))
        check("no process of the fixture is left", not left, left)
        ports = [servers.env[k] for k in ("SMTP_PORT", "SMTPS_PORT", "SMTP_PLAIN_PORT", "IMAP_PORT", "IMAPS_PORT")]
        check("every port is closed again", all(port_closed(p) for p in ports), ports)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"1..{len(results)}")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
