#!/usr/bin/python3
"""Proves the Web Key Directory fixture with GnuPG's own clients, not
Signet's: in the fixture's namespace, gpg's --locate-keys through WKD alone
finds a published key over HTTPS on 127.0.0.1:443 with nothing configured
but the system files the fixture covered, dirmngr's WKD_GET (what Signet
sends) returns it, an unpublished address has nothing, a revocation is
published; the fixture refuses
to cover system files outside its namespace; after stop() the server is
gone and /etc/hosts is the namespace's own again. TAP output; exit 77
(skip) without root or the packages."""

import os
import shutil
import socket
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # nothing written into the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wkdserver  # noqa: E402

results = []


def check(name, ok, detail=""):
    results.append(ok)
    print(f"{'ok' if ok else 'not ok'} {len(results)} - {name}")
    if not ok and detail:
        for line in str(detail).splitlines():
            print(f"# {line}")


def run(argv, env=None):
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, env=env, stdin=subprocess.DEVNULL)


def unescape(data):
    """An Assuan D line's data: %XX escapes undone."""
    out, i = bytearray(), 0
    while i < len(data):
        if data[i] == 0x25 and i + 2 < len(data):
            out.append(int(data[i + 1:i + 3], 16))
            i += 3
        else:
            out.append(data[i])
            i += 1
    return bytes(out)


def fresh_home(work):
    home = tempfile.mkdtemp(prefix="h.", dir=work)
    os.chmod(home, 0o700)
    return home


def fingerprints(home):
    r = run(["gpg", "--homedir", home, "--batch", "--with-colons", "--list-keys"])
    return [line.split(":")[9] for line in r.stdout.splitlines() if line.startswith("fpr:")]


def kill_daemons(home):
    run(["gpgconf", "--homedir", home, "--kill", "all"])


def test_locate(server, work):
    home = fresh_home(work)
    try:
        r = run(["gpg", "--homedir", home, "--batch", "--auto-key-locate", "clear,wkd", "--locate-keys",
                 "dora@example.org"])
        check("gpg --locate-keys through WKD finds dora's published key", fingerprints(home)[:1] ==
              [server.fingerprint("dora")], r.stderr)
        r = run(["gpg", "--homedir", home, "--batch", "--auto-key-locate", "clear,wkd", "--locate-keys",
                 "grace@example.org"])
        check("an address the domain did not publish has no key", r.returncode != 0 and
              server.fingerprint("grace") not in fingerprints(home), r.stderr)
        r = subprocess.run(["gpg-connect-agent", "--homedir", home, "--dirmngr", "WKD_GET -- frank@example.org",
                            "/bye"], capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
        data = b"".join(unescape(line[2:]) for line in r.stdout.split(b"\n") if line.startswith(b"D "))
        shown = subprocess.run(["gpg", "--homedir", home, "--batch", "--with-colons", "--show-keys"], input=data,
                               capture_output=True, timeout=60).stdout.decode()
        check("dirmngr's WKD_GET (what Signet sends) returns frank's key", r.stdout.rstrip().endswith(b"OK") and
              f"fpr:::::::::{server.fingerprint('frank')}:" in shown, r.stdout[-200:] + r.stderr)
    finally:
        kill_daemons(home)


def test_revoke(server, work):
    home = fresh_home(work)
    try:
        wkdserver.revoke(server.env["DIR"], "frank")
        run(["gpg", "--homedir", home, "--batch", "--auto-key-locate", "clear,wkd", "--locate-keys",
             "frank@example.org"])
        r = run(["gpg", "--homedir", home, "--batch", "--with-colons", "--list-keys", server.fingerprint("frank")])
        check("revoke() publishes frank's key revoked", r.stdout.startswith("tru") and "\npub:r:" in r.stdout,
              r.stdout + r.stderr)
    finally:
        kill_daemons(home)


def test_refuses_elsewhere(work):
    env = dict(os.environ)
    env.pop(wkdserver.HOST_MOUNTS, None)
    with open("/etc/hosts", encoding="utf-8") as f:
        before = f.read()
    r = run([sys.executable, wkdserver.__file__, "start", os.path.join(work, "elsewhere")], env=env)
    with open("/etc/hosts", encoding="utf-8") as f:
        after = f.read()
    check("start refuses outside the namespace netns makes, covering nothing",
          r.returncode == 1 and "private namespace" in r.stderr and before == after, r.stderr)


def port_closed():
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", 443)) != 0


def main():
    if not (os.environ.get(wkdserver.HOST_MOUNTS) and wkdserver.in_private_namespace()):
        try:
            wkdserver._check_tools()
        except wkdserver.Unavailable as e:
            print(f"1..0 # SKIP {e}")
            return wkdserver.SKIP
        return wkdserver.netns([sys.executable, os.path.abspath(__file__)])
    work = tempfile.mkdtemp(prefix="sgw.", dir="/tmp")
    try:
        with open("/etc/hosts", encoding="utf-8") as f:
            hosts = f.read()
        directory = os.path.join(work, "wkd")
        server = wkdserver.start(directory)
        print(f"# ready in {server.env['READY_SECONDS']} s")
        try:
            test_locate(server, work)
            test_revoke(server, work)
            test_refuses_elsewhere(work)
        finally:
            pid = open(os.path.join(directory, "https.pid"), encoding="ascii").read().strip()
            wkdserver.stop(directory)
        with open("/etc/hosts", encoding="utf-8") as f:
            check("after stop, /etc/hosts is uncovered", f.read() == hosts)
        check("after stop, the HTTPS server is gone",
              not os.path.exists(f"/proc/{pid}") or not wkdserver.directoryservers._alive(int(pid)))
        check("port 443 is closed", port_closed())
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"1..{len(results)}")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
