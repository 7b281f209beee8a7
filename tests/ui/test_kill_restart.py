#!/usr/bin/python3
"""SIGKILL at random points while the real binary delivers its Outbox
through a real Postfix and files Sent copies in a real Dovecot
(tests/servers/mailservers.py), restarted after each kill until the Outbox
is empty: every recipient gets every message, and gets it once.

Messages are queued through the accessibility tree, each with a To, a Cc
and a Bcc recipient: sealed ones (a separate copy for the Bcc recipient)
online while nothing listens on the server's port, then plain ones while
Work Offline is on. Then signet is started, killed a random time after it first
connects to a server, and started again, round after round; the delays
come from a seed that is printed (SIGNET_TEST_SEED=... repeats a run).
SIGNET_TEST_KILL_ROUNDS (default 12), SIGNET_TEST_PLAIN (5),
SIGNET_TEST_SEALED (3) and SIGNET_TEST_KILL_SPAN (0.3 s, the longest
delay) make longer runs. The last run is not killed and must empty the
Outbox.

What counts is what the servers hold, by Message-ID and mailbox. The one
way a second copy may come about is a delivery the server accepted (its 250
to the end of the data) that signet had not yet recorded in the copy's
NNN.done when it was killed: the next run cannot know it arrived. After each
kill the test waits until Postfix and Dovecot have closed every connection
and Postfix has delivered all it accepted, then compares what each mailbox
holds with the .done records: a copy that arrived in that round for a
recipient not in .done is such a window delivery; it is printed with how
Postfix's session ended ("closed without QUIT": killed between the 250 and
QUIT; "quit": killed after signet said QUIT, before it recorded the
delivery) and the copy signet was delivering. The test fails
if a mailbox holds a message more often than once plus the window
deliveries seen for it, if any recipient misses a message, if .done ever
names a recipient the server has no copy for, if one run delivers the same
copy to the same recipient twice, or if a message is in Dovecot's Sent
folder other than exactly once."""

import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from signet_atspi import (App, Keyring, MailServers, Settings, click, configure_account,  # noqa: E402
                          make_gnupghome, parse_message, remove_gnupghome, run_in_mail_namespace, type_into, wait_for)

N_PLAIN = int(os.environ.get("SIGNET_TEST_PLAIN", "5"))
N_SEALED = int(os.environ.get("SIGNET_TEST_SEALED", "3"))
KILL_SPAN = float(os.environ.get("SIGNET_TEST_KILL_SPAN", "0.3"))
TO, CC, BCC = "alice@example.org", "bob@example.org", "carol@example.org"
USERS = {"alice@example.org": "alice", "bob@example.org": "bob", "carol@example.org": "carol"}


def outbox_dir(app):
    return os.path.join(app.data_dir, "Mail", "Outbox")


def queued_batches(app):
    new = os.path.join(outbox_dir(app), "new")
    return sorted(os.listdir(new)) if os.path.isdir(new) else []


def read_lines(path):
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        return []
    # A last line without its newline was never confirmed (signet reads it so).
    return [line for line in text.split("\n")[:-1] if line]


def message_id(path):
    return str(parse_message(path)["Message-ID"]).strip()


def queued_copies(app):
    """{(batch, NNN): (Message-ID, [recipients])} of everything in Outbox/new."""
    copies = {}
    for batch in queued_batches(app):
        d = os.path.join(outbox_dir(app), "new", batch)
        for name in sorted(os.listdir(d)):
            if name.endswith(".eml"):
                copy = name[:-4]
                copies[(batch, copy)] = (message_id(os.path.join(d, name)),
                                         read_lines(os.path.join(d, copy + ".rcpt")))
    return copies


def recorded(app, expected):
    """The (Message-ID, recipient) pairs signet has recorded as delivered: in
    a copy's .done, or every recipient of a copy no longer queued."""
    pairs = set()
    present = set(queued_batches(app))
    for (batch, copy), (mid, rcpts) in expected.items():
        if batch not in present or not os.path.exists(os.path.join(outbox_dir(app), "new", batch, copy + ".eml")):
            pairs |= {(mid, r) for r in rcpts}
            continue
        done = read_lines(os.path.join(outbox_dir(app), "new", batch, copy + ".done"))
        pairs |= {(mid, r) for r in done}
    return pairs


def server_counts(servers, expected):
    """{(Message-ID, recipient): copies in that recipient's Maildir}."""
    counts = {}
    for address, user in USERS.items():
        for path in servers.messages(user):
            key = (message_id(path), address)
            counts[key] = counts.get(key, 0) + 1
    return counts


def sent_counts(servers):
    counts = {}
    for path in servers.messages("demo", "Sent"):
        mid = message_id(path)
        counts[mid] = counts.get(mid, 0) + 1
    return counts


def tcp_busy(port):
    """Connections on @port that its server has not closed yet."""
    out = subprocess.run(["ss", "-Htan", f"( sport = :{port} )"], capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if line.split()[0] not in ("LISTEN", "TIME-WAIT")]


def settle(servers):
    """Until Postfix and Dovecot have closed every connection of the killed
    process and Postfix has delivered everything it accepted."""
    env = servers.env
    wait_for(lambda: not tcp_busy(env["SMTP_PORT"]) and not tcp_busy(env["IMAPS_PORT"])
             and servers.queue_empty() and servers.sessions_open() == 0, "the servers to settle", 60)


def server_contacts(servers):
    """How often anyone has connected to Postfix, or logged in to (or left)
    Dovecot, so far: grows when signet starts to deliver or to file Sent copies."""
    n = 0
    for key, mark in (("POSTFIX_LOG", "]: connect from "), ("DOVECOT_LOG", "imap-login: ")):
        try:
            with open(servers.env[key], encoding="utf-8", errors="replace") as f:
                n += f.read().count(mark)
        except OSError:
            pass
    return n


def postfix_sessions(servers):
    """Postfix's SMTP sessions from its log, in order: for each, the
    Message-IDs it accepted and how it ended ("quit": the client said QUIT;
    else Postfix's "lost connection after <STATE>")."""
    sessions, open_by_pid, message_ids = [], {}, {}
    session_re = re.compile(r"postfix/smtpd\[(\d+)\]: (.*)$")
    cleanup_re = re.compile(r"postfix/cleanup\[\d+\]: ([0-9A-F]+): message-id=(<[^>]*>)")
    with open(servers.env["POSTFIX_LOG"], encoding="utf-8", errors="replace") as f:
        for line in f:
            m = cleanup_re.search(line)
            if m:
                message_ids[m.group(1)] = m.group(2)
                continue
            m = session_re.search(line)
            if not m:
                continue
            pid, text = m.groups()
            if text.startswith("connect from "):
                open_by_pid[pid] = {"queue_ids": [], "lost": None, "end": None}
                sessions.append(open_by_pid[pid])
            elif pid in open_by_pid:
                s = open_by_pid[pid]
                q = re.match(r"([0-9A-F]+): client=", text)
                if q:
                    s["queue_ids"].append(q.group(1))
                elif text.startswith("lost connection after "):
                    s["lost"] = text.split(" from ")[0]
                elif text.startswith("disconnect from "):
                    s["end"] = "quit" if " quit=1" in text else (s["lost"] or "closed without QUIT")
                    del open_by_pid[pid]
    for s in sessions:
        s["message_ids"] = [message_ids.get(q) for q in s["queue_ids"]]
    return sessions


def session_end(servers, mid):
    """How the last Postfix session that accepted @mid ended."""
    ends = [s["end"] for s in postfix_sessions(servers) if mid in s["message_ids"]]
    return ends[-1] if ends else None


def last_debug_line(log_path, pattern):
    with open(log_path, encoding="utf-8", errors="replace") as f:
        lines = [line.rstrip("\n") for line in f if re.search(pattern, line)]
    return lines[-1] if lines else None


def nothing_left(app):
    """No message waits in Outbox, nor a Sent copy for the Sent folder."""
    mail = os.path.join(app.data_dir, "Mail")
    for folder in ("Outbox/new", "Outbox/.sent-folder/new"):
        path = os.path.join(mail, folder)
        if os.path.isdir(path) and os.listdir(path):
            return False
    return True


def compose(app, binary, n_before, i, seal):
    if i > 0:
        # A second invocation: the running signet opens a new composer.
        subprocess.run([binary], env=app.env, check=True, timeout=30)
    app.wait_find("frame", "New Message")
    type_into(app, "To", TO)
    type_into(app, "Cc", CC)
    type_into(app, "Bcc", BCC)
    kind = "sealed" if seal else "plain"
    type_into(app, "Subject", f"Kill and restart, {kind} {i + 1}")
    type_into(app, "Message body", f"Message {kind} {i + 1}, queued before delivery could start.")
    if seal:
        app.seal_on()
    click(app.wait_find("push button", "Send"))
    wait_for(lambda: len(queued_batches(app)) == n_before + i + 1, f"{kind} message {i + 1} in Outbox")
    wait_for(lambda: app.find("frame", "New Message") is None, "the composer to close")


def closed_port():
    """A port on 127.0.0.1 where nothing listens (it was free a moment ago)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    run_in_mail_namespace()
    binary, schema_dir = sys.argv[1], sys.argv[2]
    seed = int(os.environ.get("SIGNET_TEST_SEED", str(time.time_ns() % 10**9)))
    kill_rounds = int(os.environ.get("SIGNET_TEST_KILL_ROUNDS", "12"))
    rng = random.Random(seed)
    print(f"# seed {seed} (SIGNET_TEST_SEED={seed} repeats these delays), {kill_rounds} kill rounds")
    root = tempfile.mkdtemp(prefix="sgk.", dir="/tmp")
    os.chmod(root, 0o755)  # the mail daemons' users traverse it
    runtime = os.path.join(root, "runtime")
    os.mkdir(runtime, 0o700)
    os.environ["XDG_RUNTIME_DIR"] = runtime
    servers = keyring = app = proc = None
    home = None
    try:
        servers = MailServers(os.path.join(root, "servers"))
        keyring = Keyring(os.path.join(root, "keyring"))
        home = make_gnupghome()
        tmp = os.path.join(root, "app")
        settings = Settings(tmp, schema_dir)
        configure_account(settings, servers, keyring)
        app_env = {**settings.app_env(), "GNUPGHOME": home}

        # Sealed mail needs the network (its keys are looked up): online,
        # with nothing listening on the server's port, it queues and waits.
        port = closed_port()
        keyring.store(servers.password("demo"), "Signet test: SMTP, closed port", protocol="smtp",
                      server=servers.env["HOST"], port=port, user="demo")
        settings.set("work-offline", False)
        settings.set("smtp-port", port)
        app = App(binary, schema_dir=schema_dir, tmp=tmp, extra_env=app_env)
        for i in range(N_SEALED):
            compose(app, binary, 0, i, seal=True)
        app.close(remove=False)
        # Plain mail queues while Work Offline is on (nothing is tried).
        settings.set("work-offline", True)
        app = App(binary, schema_dir=schema_dir, tmp=tmp, extra_env=app_env)
        for i in range(N_PLAIN):
            compose(app, binary, N_SEALED, i, seal=False)
        app.close(remove=False)
        settings.set("work-offline", False)
        settings.set("smtp-port", int(servers.env["SMTP_PORT"]))

        expected = queued_copies(app)
        pairs = {(mid, r) for mid, rcpts in expected.values() for r in rcpts}
        # The first copy of each send (To and Cc) is the one kept in Sent.
        firsts = {}
        for (batch, copy), (mid, _) in sorted(expected.items()):
            firsts.setdefault(batch, mid)
        ids = set(firsts.values())
        assert len(queued_batches(app)) == N_PLAIN + N_SEALED and servers.messages("alice") == []
        print(f"ok 1 - {N_SEALED} sealed messages queued while the server could not be reached and {N_PLAIN} "
              f"plain ones offline, through AT-SPI: {len(expected)} copies, {len(pairs)} "
              f"(Message-ID, recipient) pairs, nothing sent")

        env = dict(app.env)
        env["G_MESSAGES_DEBUG"] = "all"
        deliveries = {}      # pair -> deliveries seen at the server so far
        windows = {}         # pair -> window deliveries (accepted, not recorded, then killed)
        window_log = []
        kinds = {}           # how the Postfix session of each window delivery ended
        kills = hits = 0
        rounds = 0
        while True:
            rounds += 1
            killing = rounds <= kill_rounds
            log_path = os.path.join(root, f"signet-{rounds}.log")
            contacts = server_contacts(servers)
            if killing:
                with open(log_path, "w", encoding="utf-8") as log:
                    proc = subprocess.Popen([binary], env=env, stdout=log, stderr=subprocess.STDOUT)
                # The kill comes a random time after signet first talks to
                # a server in this round (or after 20 s if it never does).
                try:
                    wait_for(lambda: server_contacts(servers) > contacts or proc.poll() is not None,
                             "signet to connect to a server", 20)
                except AssertionError:
                    pass
                delay = rng.uniform(0.0, KILL_SPAN)
                time.sleep(delay)  # the random point itself, not a wait for a state
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                kills += 1
            else:
                # The last run is not killed: it is started and ended as a
                # user would, and must empty the Outbox.
                app = App(binary, schema_dir=schema_dir, tmp=tmp, extra_env=app_env)
                proc = app.proc
                app.wait_find("frame", "New Message")
                wait_for(lambda: nothing_left(app), "the Outbox to empty", 120)
                # Sent copies go to Dovecot as a step of their own.
                wait_for(lambda: all(sent_counts(servers).get(mid, 0) >= 1 for mid in ids), "the Sent copies", 60)
            settle(servers)

            counts = server_counts(servers, expected)
            done = recorded(app, expected)
            for pair, n in counts.items():
                assert pair in pairs, f"a message no one queued arrived: {pair}"
                new = n - deliveries.get(pair, 0)
                assert new <= 1, f"round {rounds}: one run delivered {pair} {new} times"
                if new == 1 and pair not in done:
                    assert killing, f"{pair} arrived but was not recorded though signet was not killed"
                    windows[pair] = windows.get(pair, 0) + 1
                    hits += 1
                    end = session_end(servers, pair[0])
                    kinds[end] = kinds.get(end, 0) + 1
                    line = last_debug_line(log_path, r"Delivering")
                    window_log.append(f"# round {rounds}, killed {delay:.3f} s after its first connection: "
                                      f"{pair[1]} of {pair[0]} accepted by Postfix, not in .done; Postfix's "
                                      f"session ended with: {end}; signet's last delivery: {line}")
                deliveries[pair] = n
            lost = [p for p in done if counts.get(p, 0) == 0]
            assert not lost, f"round {rounds}: recorded as delivered but not at the server: {lost}"
            status = "killed" if killing else f"exited {proc.poll()}" if proc.poll() is not None else "running"
            print(f"# round {rounds}: {status}" + (f" {delay:.3f} s after its first connection" if killing else "")
                  + f"; {sum(counts.values())} copies at the server, {len(done)}/{len(pairs)} recorded, "
                  f"{len(queued_batches(app))} batches queued")
            if not killing:
                break
            if not queued_batches(app) and nothing_left(app) and all(sent_counts(servers).get(m, 0) for m in ids):
                # Everything went before the last kill: one clean run to end.
                kill_rounds = rounds

        app.close(remove=False)
        for line in window_log:
            print(line)
        # "quit": signet had said QUIT (closing the connection) and was
        # killed before it recorded the delivery. "closed without QUIT" or
        # "lost connection after END-OF-MESSAGE": killed after Postfix's 250,
        # before signet said QUIT.
        print(f"# window deliveries by how Postfix's session ended: {kinds or 'none'}")
        assert not [f for f in app.files_in("Outbox") if "/.failed/" in f], app.files_in("Outbox")
        print(f"ok 2 - {kills} kills in {rounds} runs; the Outbox emptied, nothing moved to .failed")

        counts = server_counts(servers, expected)
        missing = [p for p in pairs if counts.get(p, 0) == 0]
        assert not missing, f"lost: {missing}"
        print(f"ok 3 - nothing lost: each of the {len(pairs)} (Message-ID, recipient) pairs is at the server")

        extra = {p: n for p, n in counts.items() if n > 1 + windows.get(p, 0)}
        assert not extra, f"copies beyond one plus the window deliveries: {extra} (windows: {windows})"
        dups = sum(n - 1 for n in counts.values())
        print(f"ok 4 - every recipient has each message exactly once, except {dups} duplicate(s), each one a "
              f"delivery accepted by Postfix and not yet in .done at a kill ({hits} window hit(s) in {kills} kills)")

        sent = sent_counts(servers)
        assert set(sent) <= ids, sent
        assert all(sent.get(m, 0) == 1 for m in ids), f"Sent copies by Message-ID: {sent}"
        print(f"ok 5 - each of the {len(ids)} messages is in Dovecot's Sent folder exactly once")
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
        if app is not None and app.proc.poll() is None:
            app.close(remove=False)
        if keyring is not None:
            keyring.stop()
        if servers is not None:
            servers.stop()
        if home is not None:
            remove_gnupghome(home)
        if os.environ.get("SIGNET_TEST_KEEP"):
            print(f"# kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
