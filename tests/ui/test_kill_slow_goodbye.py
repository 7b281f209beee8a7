#!/usr/bin/python3
"""Once a server has answered the end of the data with 250, the recipients
have the message: signet must record that (NNN.done) before anything else,
so that being killed afterwards never sends it again.

A server that is slow to answer QUIT (tests/servers/quitstallsmtp.py: the
first connection's QUIT is answered after STALL seconds) shows whether the
record waits for the goodbye. The real binary delivers one queued plain
message with a To and a Bcc recipient; when QUIT reaches the server, both
recipients must already be in .done. Then signet is killed (SIGKILL) and
started again: the server must hold the message once."""

import os
import shutil
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from signet_atspi import (SERVERS_DIR, App, Settings, click, make_gnupghome, parse_message,  # noqa: E402
                          remove_gnupghome, run_in_mail_namespace, type_into, wait_for)

IDENTITY = "Signet Demo <demo@example.org>"
TO, BCC = "alice@example.org", "carol@example.org"
STALL = 30


def events(directory):
    try:
        with open(os.path.join(directory, "events"), encoding="utf-8") as f:
            return [line.split(" ", 1) for line in f.read().splitlines()]
    except FileNotFoundError:
        return []


def first(directory, what):
    return next((float(t) for t, e in events(directory) if e.startswith(what)), None)


def main():
    run_in_mail_namespace(tools=("/usr/bin/gsettings",))
    binary, schema_dir = sys.argv[1], sys.argv[2]
    root = tempfile.mkdtemp(prefix="sgq.", dir="/tmp")
    server_dir = os.path.join(root, "server")
    os.mkdir(server_dir)
    server = app = proc = home = None
    try:
        server = subprocess.Popen([PYTHON_BIN, os.path.join(SERVERS_DIR, "quitstallsmtp.py"), server_dir, str(STALL)],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        port = int(server.stdout.readline().strip().split("=", 1)[1])
        home = make_gnupghome()
        tmp = os.path.join(root, "app")
        settings = Settings(tmp, schema_dir)
        settings.set("identity", IDENTITY)
        settings.set("smtp-host", "127.0.0.1")
        settings.set("smtp-port", port)
        settings.set("smtp-security", "none")
        settings.set("work-offline", True)

        app = App(binary, schema_dir=schema_dir, tmp=tmp, extra_env={**settings.app_env(), "GNUPGHOME": home})
        app.wait_find("frame", "New Message")
        type_into(app, "To", TO)
        type_into(app, "Bcc", BCC)
        type_into(app, "Subject", "A slow goodbye")
        type_into(app, "Message body", "Delivered once, however slowly the server says goodbye.")
        click(app.wait_find("push button", "Send"))
        outbox = os.path.join(app.data_dir, "Mail", "Outbox", "new")
        wait_for(lambda: os.path.isdir(outbox) and os.listdir(outbox), "the message in Outbox")
        app.close(remove=False)
        [batch] = os.listdir(outbox)
        batch_dir = os.path.join(outbox, batch)
        [eml] = [f for f in os.listdir(batch_dir) if f.endswith(".eml")]
        done = os.path.join(batch_dir, eml[:-4] + ".done")
        mid = str(parse_message(os.path.join(batch_dir, eml))["Message-ID"]).strip()
        print("ok 1 - a plain message to a To and a Bcc recipient queued offline")

        settings.set("work-offline", False)
        log = open(os.path.join(root, "signet-1.log"), "w+", encoding="utf-8")
        proc = subprocess.Popen([binary], env=app.env, stdout=log, stderr=subprocess.STDOUT)
        wait_for(lambda: first(server_dir, "QUIT") is not None, "signet to say QUIT", 60)
        accepted, quit_at = first(server_dir, "DELIVERED"), first(server_dir, "QUIT")
        recorded = open(done, encoding="utf-8").read().split() if os.path.exists(done) else []
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        print(f"# the server accepted the message at {accepted:.3f}, QUIT arrived {quit_at - accepted:.3f} s "
              f"later; .done then held {recorded}")
        try:
            assert sorted(recorded) == sorted([TO, BCC]), \
                f"250 given, QUIT sent, but .done holds only {recorded}: the delivery is not recorded yet"
            print("ok 2 - both recipients were recorded before signet said QUIT")
        finally:
            log2 = open(os.path.join(root, "signet-2.log"), "w+", encoding="utf-8")
            proc = subprocess.Popen([binary], env=app.env, stdout=log2, stderr=subprocess.STDOUT)
            wait_for(lambda: not os.path.isdir(batch_dir), "the Outbox to empty", 60)
            new = os.path.join(server_dir, "Maildir", "new")
            copies = [f for f in os.listdir(new) if str(parse_message(os.path.join(new, f))["Message-ID"]).strip() == mid]
            print(f"# after SIGKILL while the server was slow to answer QUIT, and a restart: "
                  f"{len(copies)} copies of {mid} at the server")
        assert len(copies) == 1, f"{len(copies)} copies at the server"
        print("ok 3 - killed after the 250 and started again: the server holds the message once")
    finally:
        if proc is not None and proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=20)
        if app is not None and app.proc.poll() is None:
            app.close(remove=False)
        if server is not None:
            server.stdin.close()
            server.wait(timeout=10)
        if home is not None:
            remove_gnupghome(home)
        shutil.rmtree(root, ignore_errors=True)


PYTHON_BIN = "/usr/bin/python3"

if __name__ == "__main__":
    main()
