#!/usr/bin/python3
"""A real Web Key Directory for example.org on loopback, for tests that
locate recipients' keys through the recipients' own domain.

WKD has no port or CA of its own to configure: GnuPG's dirmngr always
fetches https://openpgpkey.example.org:443/... (the "advanced" method) and
trusts only the system's CA bundle for it. So the directory can only be
served inside a private network and mount namespace, where 127.0.0.1:443
is ours and where /etc/hosts, /etc/resolv.conf and the CA bundle can be
replaced by bind mounts without touching the machine's own. `netns` makes
that namespace for a command; start() refuses to run anywhere else.

    wkdserver.py netns CMD [ARGS...]     # CMD runs in the namespace, loopback up

and inside it, from Python or a shell (values shell-quoted, also in DIR/env):

    server = wkdserver.start("/tmp/x/wkd")           # ready when it returns
    server.env["DORA_FPR"], server.env["KEYS_HOME"]
    wkdserver.revoke("/tmp/x/wkd", "frank")          # the revoked key published
    wkdserver.stop("/tmp/x/wkd")                     # server gone, mounts undone

    eval "$(tests/servers/wkdserver.py start DIR)"; ...; tests/servers/wkdserver.py stop DIR
    tests/servers/wkdserver.py revoke DIR NAME

What runs: python3's HTTPS server on 127.0.0.1:443 serving DIR/www, with a
certificate for openpgpkey.example.org and example.org from a throwaway CA
(WKD_CA_FILE), which the bind-mounted system bundle includes.
Keys (tests/servers/directoryservers.py's people, ed25519 + cv25519, no
passphrase, made at each start in KEYS_HOME with their secret halves;
NAME_FPR each fingerprint, NAME_KEY its armored public key):
  alice, dora, frank   published in the WKD (advanced layout, binary
                       keyblocks); revoke() revokes one and publishes that
  erin, grace          not published: example.org has no key for them there
The name resolver is pointed at 127.0.0.1, where nothing answers: dirmngr's
SRV lookup fails at once and it falls back to /etc/hosts.

Needs root (unshare, mount), and the Debian packages gnupg, dirmngr, openssl,
iproute2 and util-linux: start() raises Unavailable, and the commands exit
with 77 (meson's "skip"), when they are missing.
"""

import functools
import http.server
import os
import shlex
import shutil
import socket
import ssl
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # nothing written into the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import directoryservers  # noqa: E402
import mailservers  # noqa: E402

HOST = "127.0.0.1"
DOMAIN = directoryservers.DOMAIN
WKD_HOST = f"openpgpkey.{DOMAIN}"
PUBLISHED = ("alice", "dora", "frank")
SKIP = 77
HOST_MOUNTS = "SIGNET_WKD_HOST_MNT"
SYSTEM_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
TOOLS = ("/usr/bin/gpg", "/usr/bin/gpgconf", "/usr/bin/dirmngr", "/usr/bin/openssl", "/usr/bin/unshare",
         "/usr/bin/mount", "/usr/bin/umount")


class Unavailable(Exception):
    """The directory cannot be served here (not root, packages missing)."""


def _check_tools():
    if os.geteuid() != 0:
        raise Unavailable("the Web Key Directory needs root (a private network and mount namespace)")
    for path in TOOLS:
        if not os.access(path, os.X_OK):
            raise Unavailable(f"{path} is missing: build-aux/install-deps.sh --tests installs it")
    if shutil.which("ip") is None:
        raise Unavailable("ip is missing: install iproute2")
    if not os.path.exists(SYSTEM_BUNDLE):
        raise Unavailable(f"{SYSTEM_BUNDLE} is missing: install ca-certificates")


def in_private_namespace():
    """Whether this process runs in a mount namespace of netns's making and a
    network namespace with nothing but loopback: only there may the
    system's files be covered."""
    host = os.environ.get(HOST_MOUNTS)
    if not host or os.readlink("/proc/self/ns/mnt") == host:
        return False
    with open("/proc/self/net/dev", encoding="ascii") as f:
        interfaces = [line.split(":")[0].strip() for line in f if ":" in line]
    return interfaces == ["lo"]


# ---- the directory ------------------------------------------------------------

def _wkd_hash(home, email):
    out = directoryservers._gpg(home, "--with-wkd-hash", "--list-keys", f"<{email}>").stdout.decode()
    local = email.split("@")[0]
    for word in out.split():
        name, _, domain = word.partition("@")
        if domain == DOMAIN and len(name) == 32 and name != local:
            return name
    raise RuntimeError(f"gpg gave no WKD hash for {email}")


def _hu(d):
    return os.path.join(d, "www", ".well-known", "openpgpkey", DOMAIN, "hu")


def _publish(d, uid, fpr):
    """Publishes uid's key as it is now in KEYS_HOME (the binary keyblock,
    as WKD serves it)."""
    home = os.path.join(d, "keys")
    key = directoryservers._gpg(home, "--export", "--export-options", "export-minimal", fpr).stdout
    path = os.path.join(_hu(d), _wkd_hash(home, f"{uid}@{DOMAIN}"))
    with open(path + ".tmp", "wb") as f:
        f.write(key)
    os.rename(path + ".tmp", path)


def _build_tree(d, fingerprints):
    os.makedirs(_hu(d))
    for uid in PUBLISHED:
        _publish(d, uid, fingerprints[uid])
    directoryservers._write(os.path.join(_hu(d), "..", "policy"), "")


def revoke(directory, uid):
    """Revokes uid's key and publishes the revoked key in its place."""
    d = os.path.abspath(directory)
    fpr = directoryservers._read_env(d)[f"{uid.upper()}_FPR"]
    directoryservers._revoke(d, uid, fpr)
    _publish(d, uid, fpr)


def _cover(d, source, target):
    """Bind-mounts source over target (recorded for stop)."""
    subprocess.run(["mount", "--bind", source, target], check=True, stdin=subprocess.DEVNULL,
                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    with open(os.path.join(d, "mounts"), "a", encoding="utf-8") as f:
        f.write(target + "\n")


def _cover_system_files(d):
    tls = os.path.join(d, "tls")
    with open(SYSTEM_BUNDLE, "rb") as system, open(os.path.join(tls, "ca.crt"), "rb") as ours:
        bundle = system.read() + b"\n" + ours.read()
    with open(os.path.join(tls, "bundle.crt"), "wb") as f:
        f.write(bundle)
    directoryservers._write(os.path.join(d, "hosts"),
                            f"127.0.0.1 localhost\n{HOST} {WKD_HOST} {DOMAIN}\n::1 localhost\n")
    directoryservers._write(os.path.join(d, "resolv.conf"), "nameserver 127.0.0.1\n")
    _cover(d, os.path.join(d, "hosts"), "/etc/hosts")
    _cover(d, os.path.join(d, "resolv.conf"), "/etc/resolv.conf")
    _cover(d, os.path.join(tls, "bundle.crt"), SYSTEM_BUNDLE)


def _answers(ca_file):
    context = ssl.create_default_context(cafile=ca_file)
    try:
        with socket.create_connection((HOST, 443), timeout=1) as raw:
            with context.wrap_socket(raw, server_hostname=WKD_HOST) as s:
                s.sendall(f"GET /.well-known/openpgpkey/{DOMAIN}/policy HTTP/1.0\r\n"
                          f"Host: {WKD_HOST}\r\n\r\n".encode())
                return s.recv(64).startswith(b"HTTP/1.0 200")
    except OSError:
        return False


def _start_server(d):
    log = open(os.path.join(d, "https.log"), "wb")
    with log:
        server = subprocess.Popen([sys.executable, os.path.abspath(__file__), "serve", d], stdin=subprocess.DEVNULL,
                                  stdout=log, stderr=log, start_new_session=True)
    directoryservers._write(os.path.join(d, "https.pid"), f"{server.pid}\n")
    deadline = time.monotonic() + directoryservers.READY_TIMEOUT
    while not _answers(os.path.join(d, "tls", "ca.crt")):
        if server.poll() is not None or time.monotonic() > deadline:
            with open(os.path.join(d, "https.log"), encoding="utf-8", errors="replace") as f:
                raise RuntimeError(f"the HTTPS server never answered: {f.read()}")
        time.sleep(0.02)


def serve(d):
    """The HTTPS server itself (runs until killed)."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=os.path.join(d, "www"))
    server = http.server.ThreadingHTTPServer((HOST, 443), handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(os.path.join(d, "tls", "server.crt"), os.path.join(d, "tls", "server.key"))
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.serve_forever()


# ---- start and stop -----------------------------------------------------------

class WkdServer:
    """What a client needs: env holds every KEY=VALUE the command prints."""

    def __init__(self, env):
        self.env = env

    def fingerprint(self, uid):
        return self.env[uid.upper() + "_FPR"]


def start(directory):
    """Makes the keys and the directory below directory (which must not hold
    an earlier start), covers the system's files and serves it; returns a
    WkdServer once it answers over HTTPS."""
    _check_tools()
    if not in_private_namespace():
        raise RuntimeError("not in a private namespace: run the command through 'wkdserver.py netns'")
    d = os.path.abspath(directory)
    t0 = time.monotonic()
    os.makedirs(os.path.join(d, "tls"), exist_ok=True)
    if os.path.exists(os.path.join(d, "keys")):
        raise RuntimeError(f"{d} holds an earlier start: stop it and choose a fresh directory")
    env = {"DIR": d, "DOMAIN": DOMAIN, "WKD_HOST": WKD_HOST, "KEYS_HOME": os.path.join(d, "keys"),
           "WKD_CA_FILE": os.path.join(d, "tls", "ca.crt"), "PUBLISHED": " ".join(PUBLISHED)}
    try:
        fingerprints = directoryservers._make_keys(d)
        for uid, fpr in fingerprints.items():
            env[f"{uid.upper()}_FPR"] = fpr
            env[f"{uid.upper()}_KEY"] = os.path.join(d, "keys", "export", f"{uid}.asc")
        _build_tree(d, fingerprints)
        mailservers._make_certificates(os.path.join(d, "tls"), names=(WKD_HOST, DOMAIN))
        _cover_system_files(d)
        _start_server(d)
    except BaseException:
        stop(d)
        raise
    env["READY_SECONDS"] = f"{time.monotonic() - t0:.2f}"
    directoryservers._write(os.path.join(d, "env"), format_env(env))
    return WkdServer(env)


def format_env(env):
    return "".join(f"{key}={shlex.quote(value)}\n" for key, value in env.items())


def stop(directory):
    """Stops the server, ends the keys' GnuPG daemons and undoes the mounts.
    Returns quietly when nothing runs."""
    d = os.path.abspath(directory)
    home = os.path.join(d, "keys")
    if os.path.isdir(home):
        subprocess.run(["gpgconf", "--homedir", home, "--kill", "all"], stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    pidfile = os.path.join(d, "https.pid")
    directoryservers._stop_pid(directoryservers._read_pid(pidfile))
    directoryservers._unlink(pidfile)
    try:
        with open(os.path.join(d, "mounts"), encoding="utf-8") as f:
            mounts = f.read().split()
    except OSError:
        mounts = []
    for target in reversed(mounts):
        subprocess.run(["umount", target], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=False)
    directoryservers._unlink(os.path.join(d, "mounts"))


# ---- the namespace ------------------------------------------------------------

CLEANERS = ("sh", "python3", "rm", "gpgconf")


def _cleaning_up():
    """Whether a process of the namespace is still cleaning up (a test's
    guard stopping its servers and removing its directory): the namespace
    ends when its first process does, and would cut that short."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/comm", encoding="utf-8", errors="replace") as f:
                if f.read().strip() in CLEANERS and directoryservers._alive(int(entry)):
                    return True
        except OSError:
            continue
    return False


def _reap_until(pid):
    """Waits for pid as the namespace's first process must: every orphan
    (gpg-agent, dirmngr, the server) is reaped on the way; then gives what
    is still cleaning up a few seconds to finish."""
    code = 1
    while True:
        try:
            done, status = os.wait()
        except ChildProcessError:
            return code
        if done == pid:
            code = os.waitstatus_to_exitcode(status) if status & 0x7f == 0 else 128 + (status & 0x7f)
            break
    deadline = time.monotonic() + 10
    while _cleaning_up() and time.monotonic() < deadline:
        try:
            os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        time.sleep(0.05)
    return code


def netns(argv):
    """Runs argv in new network, mount and PID namespaces with loopback up;
    returns its exit status. Everything started in there ends with it."""
    if os.environ.get(HOST_MOUNTS) and in_private_namespace():
        subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
        child = subprocess.Popen(argv)
        return _reap_until(child.pid)
    _check_tools()
    env = dict(os.environ)
    env[HOST_MOUNTS] = os.readlink("/proc/self/ns/mnt")
    sys.stdout.flush()
    sys.stderr.flush()
    os.execvpe("unshare", ["unshare", "--net", "--mount", "--propagation", "private", "--pid", "--mount-proc",
                           "--fork", "--kill-child", sys.executable, os.path.abspath(__file__), "netns", *argv], env)
    return 1


USAGE = """\
usage: {0} netns CMD [ARGS...]
       {0} start|stop DIR
       {0} revoke DIR NAME"""


def main(argv):
    command = argv[1] if len(argv) > 1 else ""
    if not (command in ("start", "stop", "serve") and len(argv) == 3 or command == "netns" and len(argv) > 2
            or command == "revoke" and len(argv) == 4 and argv[3] in PUBLISHED):
        print(USAGE.format(argv[0]), file=sys.stderr)
        return 2
    try:
        if command == "netns":
            return netns(argv[2:])
        if command == "start":
            sys.stdout.write(format_env(start(argv[2]).env))
        elif command == "stop":
            stop(argv[2])
        elif command == "revoke":
            revoke(argv[2], argv[3])
        else:
            serve(argv[2])
    except Unavailable as e:
        print(f"1..0 # SKIP {e}")
        print(f"skipped: {e}", file=sys.stderr)
        return SKIP
    except (RuntimeError, OSError, subprocess.CalledProcessError) as e:
        detail = getattr(e, "stderr", None)
        print(f"error: {e}", file=sys.stderr)
        if detail:
            sys.stderr.write(detail.decode(errors="replace"))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
