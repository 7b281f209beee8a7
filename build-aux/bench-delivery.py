#!/usr/bin/python3
"""Delivery benchmark: Signet's Outbox against curl, same server, same run.

Queues N plain messages (default 100) in an Outbox (tests/bench/bench-delivery,
which links Signet's core), then times the Outbox delivering them through a
real Postfix on loopback (tests/servers/mailservers.py: submission with
STARTTLS and SASL), as the application does. Next to it, in the same run and
against the same server, `curl` sends the same N message files one by one
(one process, one connection, STARTTLS and AUTH each, as the Outbox makes one
connection per message). Prints both times and their ratio; the Maildir must
hold 2 x N messages at the end.

Not a test: timings are not assertions. Needs root (Postfix) and a build:

    build-aux/bench-delivery.py [BUILD_DIR] [N]

It runs itself in a network namespace of its own (loopback only, with a
default route over it so that GNetworkMonitor says online). The password
goes to each program on its standard input or in a 0600 file, never on a
command line."""

import os
import shutil
import subprocess
import sys
import tempfile
import time

top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
build = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.join(top, "_build")
count = int(sys.argv[2]) if len(sys.argv) > 2 else 100
sys.path.insert(0, os.path.join(top, "tests", "servers"))
import mailservers  # noqa: E402

MARK = "SIGNET_BENCH_NAMESPACE"
SENDER = "demo@example.org"
RECIPIENT = "alice@example.org"


def in_namespace():
    if os.environ.get(MARK) == "1":
        return
    if os.geteuid() != 0:
        sys.exit("bench-delivery needs root (Postfix's master runs only as root)")
    env = dict(os.environ, **{MARK: "1"})
    script = 'ip link set lo up && ip route add default dev lo && exec "$@"'
    os.execvpe("unshare", ["unshare", "-n", "sh", "-c", script, "sh", "/usr/bin/python3",
                           os.path.abspath(__file__), build, str(count)], env)


def curl_config(path, user, password):
    def quoted(value):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(f"user = {quoted(user + ':' + password)}\n")


def maildir_count(path):
    return sum(len(os.listdir(os.path.join(path, sub))) for sub in ("new", "cur"))


def wait_delivered(servers, expected, timeout=120):
    deadline = time.monotonic() + timeout
    while maildir_count(servers.maildir("alice")) < expected:
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {maildir_count(servers.maildir('alice'))} of {expected} messages arrived")
        time.sleep(0.05)


def main():
    in_namespace()
    bench = os.path.join(build, "tests", "bench", "bench-delivery")
    # Postfix's and Dovecot's users must be able to traverse every parent.
    tmp = tempfile.mkdtemp(prefix="sgbd.", dir="/tmp")
    os.chmod(tmp, 0o755)
    servers_dir = os.path.join(tmp, "servers")
    try:
        servers = mailservers.start(servers_dir)
        env = servers.env
        password = servers.password("demo")
        mail = os.path.join(tmp, "Mail")

        subprocess.run([bench, "queue", mail, str(count), SENDER, RECIPIENT], check=True)
        outbox = os.path.join(mail, "Outbox", "new")
        batches = sorted(os.listdir(outbox))
        files = []
        copies = os.path.join(tmp, "curl")
        os.mkdir(copies)
        for i, batch in enumerate(batches):
            [eml] = [f for f in os.listdir(os.path.join(outbox, batch)) if f.endswith(".eml")]
            files.append(shutil.copy(os.path.join(outbox, batch, eml), os.path.join(copies, f"{i:03d}.eml")))
        assert len(files) == count, f"{len(files)} messages queued, not {count}"
        size = sum(os.path.getsize(f) for f in files) / len(files)

        result = subprocess.run([bench, "deliver", mail, env["HOST"], env["SMTP_PORT"], "starttls", "demo",
                                 env["CA_FILE"], SENDER], input=password + "\n", capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"bench-delivery deliver failed:\n{result.stdout}{result.stderr}")
        seconds, n_sent, n_queued, n_failed = result.stdout.split()
        signet_t = float(seconds)
        assert (int(n_sent), int(n_queued), int(n_failed)) == (count, 0, 0), result.stdout
        wait_delivered(servers, count)

        config = os.path.join(tmp, "curl.conf")
        curl_config(config, "demo", password)
        url = f"smtp://{env['HOST']}:{env['SMTP_PORT']}"
        start = time.monotonic()
        for path in files:
            subprocess.run(["curl", "-sS", "-K", config, "--url", url, "--ssl-reqd", "--cacert", env["CA_FILE"],
                            "--crlf", "--mail-from", SENDER, "--mail-rcpt", RECIPIENT, "--upload-file", path],
                           check=True, stdin=subprocess.DEVNULL)
        curl_t = time.monotonic() - start
        wait_delivered(servers, 2 * count)

        print(f"{count} queued plain messages of {size / 1024:.1f} KiB each, Postfix on loopback "
              f"(STARTTLS, AUTH PLAIN), one connection per message")
        print(f"curl, one process per file:    {curl_t:.2f} s ({curl_t / count * 1000:.1f} ms/message)")
        print(f"signet Outbox:                 {signet_t:.2f} s ({signet_t / count * 1000:.1f} ms/message)")
        print(f"time ratio signet/curl:        {signet_t / curl_t:.2f}")
        print(f"messages in the Maildir:       {maildir_count(servers.maildir('alice'))} (expected {2 * count})")
    finally:
        mailservers.stop(servers_dir)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
