#!/usr/bin/python3
"""Real Postfix and Dovecot on loopback, for tests that deliver mail.

Everything lives in one directory the caller chooses; the machine's own mail
configuration is never read or changed, and nothing listens anywhere but on
127.0.0.1, on ports the kernel says are free.

    servers = mailservers.start("/tmp/x/servers")   # ready when it returns
    servers.env["SMTP_PORT"], servers.password("alice"), servers.maildir("bob")
    mailservers.stop("/tmp/x/servers")               # no daemon left

or from a shell (values are shell-quoted, also written to DIR/env):

    eval "$(tests/servers/mailservers.py start DIR)"; ...; tests/servers/mailservers.py stop DIR

What runs:
  Postfix   SMTP_PORT        submission: STARTTLS offered, AUTH only after it
            SMTPS_PORT       submission over TLS from the first byte
            SMTP_PLAIN_PORT  no TLS at all, AUTH allowed (for "loopback only")
            All three need AUTH (SASL through Dovecot's auth socket) and
            deliver example.org with virtual(8) into DIR/mail/USER/Maildir;
            any other domain is refused.
  Dovecot   IMAP_PORT (STARTTLS) and IMAPS_PORT, the same Maildirs, a Sent
            mailbox marked \\Sent (SPECIAL-USE) and a Drafts mailbox.
Users alice, bob, carol and demo @example.org, each with a fresh password
(demo's has a space, a colon, a percent sign and a non-ASCII letter).
The certificates come from a throwaway CA (CA_FILE); SERVER_FINGERPRINT is
the server certificate's SHA-256 and SERVER_PIN its public key's, in
libcurl's "sha256//BASE64" form.

Needs root (Postfix's master refuses anything else) and the Debian packages
postfix, dovecot-core, dovecot-imapd and openssl: start() raises Unavailable,
and the command exits with 77 (meson's "skip"), when they are missing.
"""

import base64
import grp
import hashlib
import os
import pwd
import secrets
import shlex
import signal
import socket
import ssl
import subprocess
import sys
import time

USERS = ("alice", "bob", "carol", "demo")
DOMAIN = "example.org"
HOST = "127.0.0.1"
READY_TIMEOUT = 20.0
SKIP = 77


class Unavailable(Exception):
    """The servers cannot run on this machine (not root, not installed)."""


class MailServers:
    """What a client needs: env holds every KEY=VALUE the command prints."""

    def __init__(self, env):
        self.env = env

    @property
    def directory(self):
        return self.env["DIR"]

    def password(self, user):
        return self.env[user.upper() + "_PASSWORD"]

    def maildir(self, user):
        return self.env[user.upper() + "_MAILDIR"]


def _run(argv, **kwargs):
    return subprocess.run(argv, check=True, stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs)


def _check_available():
    if os.geteuid() != 0:
        raise Unavailable("the mail servers need root (Postfix's master runs only as root)")
    for path in ("/usr/sbin/postfix", "/usr/lib/postfix/sbin/master", "/usr/sbin/dovecot",
                 "/usr/lib/dovecot/imap", "/usr/bin/openssl"):
        if not os.access(path, os.X_OK):
            raise Unavailable(f"{path} is missing: build-aux/install-deps.sh --tests installs it")


def _free_ports(n):
    """n different ports that were free a moment ago (all bound at once)."""
    sockets = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind((HOST, 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _prepare_directory(d):
    # Postfix opens files below DIR as the postfix user, virtual(8) writes the
    # Maildirs as nobody and Dovecot reads them as nobody: DIR and every
    # directory above it must let others through.
    os.makedirs(d, exist_ok=True)
    os.chmod(d, 0o755)
    parent = os.path.dirname(d)
    while parent != "/":
        if not os.stat(parent).st_mode & 0o001:
            raise RuntimeError(f"{parent} cannot be traversed by the mail daemons' users: "
                               f"make it o+x or choose a directory elsewhere")
        parent = os.path.dirname(parent)
    for sub in ("tls", "postfix", "queue", "data", "mail", "dovecot-run", "dovecot-state", "auth"):
        os.makedirs(os.path.join(d, sub), exist_ok=True)


def _make_certificates(tls, names=("localhost", "mail.example.org")):
    """A throwaway CA and a server certificate it signed, for 127.0.0.1 and
    the host names in names."""
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    _run(["openssl", "req", "-x509", *ec, "-days", "2", "-subj", "/CN=Signet Test CA",
          "-keyout", "ca.key", "-out", "ca.crt",
          "-addext", "basicConstraints=critical,CA:TRUE",
          "-addext", "keyUsage=critical,keyCertSign,cRLSign"], cwd=tls)
    _run(["openssl", "req", *ec, "-subj", "/CN=localhost", "-keyout", "server.key",
          "-out", "server.csr"], cwd=tls)
    with open(os.path.join(tls, "server.ext"), "w", encoding="ascii") as ext:
        ext.write("subjectAltName=" + ",".join(f"DNS:{n}" for n in names) + ",IP:127.0.0.1\n"
                  "extendedKeyUsage=serverAuth\n")
    _run(["openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
          "-CAcreateserial", "-days", "2", "-extfile", "server.ext", "-out", "server.crt"], cwd=tls)
    # A throwaway key: readable, so no daemon's configuration check trips on it.
    os.chmod(os.path.join(tls, "server.key"), 0o644)

    with open(os.path.join(tls, "server.crt"), encoding="ascii") as f:
        der = ssl.PEM_cert_to_DER_cert(f.read())
    fingerprint = hashlib.sha256(der).hexdigest().upper()
    spki = _run(["openssl", "x509", "-in", "server.crt", "-noout", "-pubkey"], cwd=tls).stdout
    spki_der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"], input=spki,
                              check=True, capture_output=True).stdout
    pin = "sha256//" + base64.b64encode(hashlib.sha256(spki_der).digest()).decode("ascii")
    return ":".join(fingerprint[i:i + 2] for i in range(0, len(fingerprint), 2)), pin


def _passwords():
    words = {user: f"{user}-{secrets.token_hex(6)}" for user in USERS}
    # Passwords go to the server as they are: no quoting, no URL encoding.
    words["demo"] = f"dé mo:%{secrets.token_hex(4)}"
    return words


def _write_users(d, passwords):
    # {PLAIN.b64}: any character may be in a password, even the file's ':'.
    lines = [f"{user}:{{PLAIN.b64}}{base64.b64encode(pw.encode()).decode()}::::::\n"
             for user, pw in passwords.items()]
    path = os.path.join(d, "users")
    with open(path, "w", encoding="ascii") as f:
        f.writelines(lines)
    # Dovecot's auth process reads it as the dovecot user.
    os.chown(path, 0, _gid("dovecot"))
    os.chmod(path, 0o640)


def _gid(group):
    return grp.getgrnam(group).gr_gid


def _uid(user):
    return pwd.getpwnam(user).pw_uid


def _make_maildirs(d):
    uid, gid = _uid("nobody"), _gid("nogroup")
    mail = os.path.join(d, "mail")
    os.chown(mail, uid, gid)
    for user in USERS:
        for folder in ("Maildir", "Maildir/.Sent", "Maildir/.Drafts"):
            for sub in ("", "new", "cur", "tmp"):
                path = os.path.join(mail, user, folder, sub)
                os.makedirs(path, exist_ok=True)
        for root, dirs, _files in os.walk(os.path.join(mail, user)):
            os.chown(root, uid, gid)
    os.chown(os.path.join(d, "data"), _uid("postfix"), _gid("postfix"))


DOVECOT_CONF = """\
base_dir = {d}/dovecot-run
state_dir = {d}/dovecot-state
instance_name = signet-test-{tag}
log_path = {d}/dovecot.log
protocols = imap
listen = {host}
ssl = yes
ssl_cert = <{d}/tls/server.crt
ssl_key = <{d}/tls/server.key
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = yes
auth_mechanisms = plain login
# A wrong password is answered at once, so that tests of it stay fast.
auth_failure_delay = 0
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%n {d}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={d}/mail/%n
}}
first_valid_uid = 1
mail_location = maildir:~/Maildir
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Sent {{
    special_use = \\Sent
    auto = subscribe
  }}
  mailbox Drafts {{
    special_use = \\Drafts
    auto = subscribe
  }}
}}
service imap-login {{
  inet_listener imap {{
    address = {host}
    port = {imap}
  }}
  inet_listener imaps {{
    address = {host}
    port = {imaps}
    ssl = yes
  }}
}}
# Nor is any later login from 127.0.0.1 slowed down after one (auth penalty).
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service auth {{
  unix_listener {d}/auth/dovecot-auth {{
    mode = 0660
    user = postfix
    group = postfix
  }}
}}
"""

POSTFIX_MAIN = """\
compatibility_level = 3.6
queue_directory = {d}/queue
data_directory = {d}/data
maillog_file = {d}/postfix.log
maillog_file_prefixes = {d}
myhostname = mail.example.org
mydomain = example.org
myorigin = example.org
mydestination =
inet_interfaces = {host}
inet_protocols = ipv4
mynetworks = {host}/32
smtputf8_enable = no
alias_maps =
alias_database =
local_recipient_maps =
biff = no
smtpd_error_sleep_time = 0
virtual_mailbox_domains = example.org
virtual_mailbox_base = {d}/mail
virtual_mailbox_maps = texthash:{d}/postfix/vmailbox
virtual_uid_maps = static:{uid}
virtual_gid_maps = static:{gid}
virtual_minimum_uid = 1
default_transport = error:outside relaying disabled in test server
relay_transport = error:outside relaying disabled in test server
smtpd_tls_security_level = may
smtpd_tls_auth_only = yes
smtpd_tls_cert_file = {d}/tls/server.crt
smtpd_tls_key_file = {d}/tls/server.key
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = {d}/auth/dovecot-auth
smtpd_sasl_security_options = noanonymous
smtpd_relay_restrictions = permit_sasl_authenticated, reject_unauth_destination
smtpd_recipient_restrictions = permit_sasl_authenticated, reject
"""

POSTFIX_MASTER = """\
{host}:{smtp} inet n - n - - smtpd
{host}:{smtps} inet n - n - - smtpd -o smtpd_tls_wrappermode=yes -o smtpd_tls_security_level=encrypt
{host}:{smtp_plain} inet n - n - - smtpd -o smtpd_tls_security_level=none -o smtpd_tls_auth_only=no
cleanup   unix  n - n - 0 cleanup
qmgr      unix  n - n 300 1 qmgr
tlsmgr    unix  - - n 1000? 1 tlsmgr
rewrite   unix  - - n - - trivial-rewrite
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
verify    unix  - - n - 1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n - - proxymap
proxywrite unix - - n - 1 proxymap
smtp      unix  - - n - - smtp
relay     unix  - - n - - smtp
showq     unix  n - n - - showq
error     unix  - - n - - error
retry     unix  - - n - - error
discard   unix  - - n - - discard
local     unix  - n n - - local
virtual   unix  - n n - - virtual
lmtp      unix  - - n - - lmtp
anvil     unix  - - n - 1 anvil
scache    unix  - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
"""


def _write_config(d, ports):
    values = dict(d=d, host=HOST, uid=_uid("nobody"), gid=_gid("nogroup"), tag=ports["smtp"], **ports)
    files = {
        "dovecot.conf": DOVECOT_CONF,
        "postfix/main.cf": POSTFIX_MAIN,
        "postfix/master.cf": POSTFIX_MASTER,
        "postfix/vmailbox": "".join(f"{u}@{DOMAIN} {u}/Maildir/\n" for u in USERS),
    }
    for name, template in files.items():
        path = os.path.join(d, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(template.format(**values))
        # postfix waits ~2 s when its configuration is younger than that
        # (a guard against reading a half-written file): these are complete.
        past = time.time() - 60
        os.utime(path, (past, past))


def _banner(port, expected, tls_context):
    """TRUE once the server on port greets with a line starting with expected."""
    try:
        with socket.create_connection((HOST, port), timeout=2) as raw:
            sock = tls_context.wrap_socket(raw, server_hostname=HOST) if tls_context else raw
            with sock:
                line = sock.makefile("rb").readline()
                return line.startswith(expected)
    except (OSError, ssl.SSLError):
        return False


def _wait_ready(ports, ca_file):
    tls = ssl.create_default_context(cafile=ca_file)
    checks = [(ports["smtp"], b"220 ", None), (ports["smtp_plain"], b"220 ", None),
              (ports["smtps"], b"220 ", tls), (ports["imap"], b"* OK", None),
              (ports["imaps"], b"* OK", tls)]
    deadline = time.monotonic() + READY_TIMEOUT
    for port, expected, context in checks:
        while not _banner(port, expected, context):
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server on port {port} never answered {expected!r}")
            time.sleep(0.02)


def _start_daemons(d):
    def daemon(argv, log):
        # The daemons must not keep the caller's stdout open (a shell's
        # $(...) would wait for them).
        with open(os.path.join(d, log), "ab") as out:
            r = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=out, check=False)
        if r.returncode != 0:
            with open(os.path.join(d, log), encoding="utf-8", errors="replace") as f:
                raise RuntimeError(f"{argv[0]} did not start:\n{f.read()}")
    daemon(["/usr/sbin/dovecot", "-c", os.path.join(d, "dovecot.conf")], "dovecot.out")
    daemon(["/usr/sbin/postfix", "-c", os.path.join(d, "postfix"), "start"], "postfix.out")


def start(directory):
    """Starts both servers below directory; returns a MailServers once each answers."""
    _check_available()
    d = os.path.abspath(directory)
    t0 = time.monotonic()
    _prepare_directory(d)
    names = ("smtp", "smtps", "smtp_plain", "imap", "imaps")
    ports = dict(zip(names, _free_ports(len(names))))
    fingerprint, pin = _make_certificates(os.path.join(d, "tls"))
    passwords = _passwords()
    _write_users(d, passwords)
    _make_maildirs(d)
    _write_config(d, ports)
    try:
        _start_daemons(d)
        _wait_ready(ports, os.path.join(d, "tls", "ca.crt"))
    except BaseException:
        stop(d)
        raise
    env = {
        "DIR": d,
        "HOST": HOST,
        "SMTP_PORT": str(ports["smtp"]),
        "SMTPS_PORT": str(ports["smtps"]),
        "SMTP_PLAIN_PORT": str(ports["smtp_plain"]),
        "IMAP_PORT": str(ports["imap"]),
        "IMAPS_PORT": str(ports["imaps"]),
        "CA_FILE": os.path.join(d, "tls", "ca.crt"),
        "SERVER_CERT": os.path.join(d, "tls", "server.crt"),
        "SERVER_FINGERPRINT": fingerprint,
        "SERVER_PIN": pin,
        "USERS": " ".join(USERS),
    }
    for user in USERS:
        env[f"{user.upper()}_ADDRESS"] = f"{user}@{DOMAIN}"
        env[f"{user.upper()}_PASSWORD"] = passwords[user]
        env[f"{user.upper()}_MAILDIR"] = os.path.join(d, "mail", user, "Maildir")
    env["POSTFIX_LOG"] = os.path.join(d, "postfix.log")
    env["DOVECOT_LOG"] = os.path.join(d, "dovecot.log")
    env["READY_SECONDS"] = f"{time.monotonic() - t0:.2f}"
    with open(os.path.join(d, "env"), "w", encoding="utf-8") as f:
        f.write(format_env(env))
    return MailServers(env)


def format_env(env):
    return "".join(f"{key}={shlex.quote(value)}\n" for key, value in env.items())


def _alive(pid):
    """A process that exited but was not reaped yet (a zombie) counts as gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("State:"):
                    return line.split()[1] != "Z"
    except OSError:
        pass
    return False


def _processes_below(d):
    """Every live process whose working directory is in d: each Postfix and
    Dovecot process works in its queue or base directory."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            cwd = os.readlink(f"/proc/{entry}/cwd")
        except OSError:
            continue
        if (cwd == d or cwd.startswith(d + "/")) and _alive(int(entry)):
            found.append(int(entry))
    return found


def _read_pid(path):
    try:
        with open(path, encoding="ascii") as f:
            return int(f.read().strip() or 0) or None
    except (OSError, ValueError):
        return None


def _wait_gone(pids, seconds):
    deadline = time.monotonic() + seconds
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.02)
    return [p for p in pids if _alive(p)]


def stop(directory):
    """Stops whatever start() started below directory. Returns quietly when
    nothing runs; raises if a process would not go."""
    d = os.path.abspath(directory)
    pidfiles = [os.path.join(d, "queue", "pid", "master.pid"),
                os.path.join(d, "dovecot-run", "master.pid")]
    masters = [p for p in map(_read_pid, pidfiles) if p is not None and _alive(p)]
    for pid in masters:
        # Each master ends its children; Dovecot's takes about a second.
        os.kill(pid, signal.SIGTERM)
    left = _wait_gone(masters + _processes_below(d), 0.5)
    for pid in set(left + _processes_below(d)):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    left = _wait_gone(_processes_below(d) + masters, 5)
    # A stale pidfile would make the next start in d believe it still runs.
    for path in pidfiles:
        if os.path.exists(path):
            os.unlink(path)
    if left:
        raise RuntimeError(f"processes {left} did not stop")


def main(argv):
    if len(argv) != 3 or argv[1] not in ("start", "stop"):
        print(f"usage: {argv[0]} start|stop DIR", file=sys.stderr)
        return 2
    try:
        if argv[1] == "stop":
            stop(argv[2])
        else:
            sys.stdout.write(format_env(start(argv[2]).env))
    except Unavailable as e:
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
