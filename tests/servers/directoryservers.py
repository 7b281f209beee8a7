#!/usr/bin/python3
"""Real directory servers on loopback, for tests that look up recipients and
their keys: an organisation's LDAP directory (OpenLDAP slapd) and an OpenPGP
keyserver (sks, spoken to over HKP), both reached by GnuPG's dirmngr.

Everything lives in one directory the caller chooses; the machine's own LDAP,
keyserver and GnuPG configuration is never read or changed, and nothing
listens anywhere but on 127.0.0.1, on ports the kernel says are free.

    servers = directoryservers.start("/tmp/x/dir")    # ready when it returns
    servers.env["LDAP_PORT"], servers.fingerprint("dora")
    home = servers.client_home("/tmp/x/home", "ldap")  # a GnuPG home using it
    servers.revoke_on_sks("grace"); servers.stop_ldap(); servers.start_ldap()
    servers.stop_sks(); servers.start_sks()
    servers.pause("ldap"); servers.resume("ldap")      # hangs, then answers
    directoryservers.stop("/tmp/x/dir")                # no daemon left

or from a shell (values are shell-quoted, also written to DIR/env):

    eval "$(tests/servers/directoryservers.py start DIR)"; ...
    tests/servers/directoryservers.py client-home DIR HOME ldap|hkp|both [NAME...]
    tests/servers/directoryservers.py revoke-on-sks|revoke-in-ldap|publish-in-ldap DIR NAME
    tests/servers/directoryservers.py stop-ldap|start-ldap|stop-sks|start-sks DIR
    tests/servers/directoryservers.py pause|resume DIR ldap|sks
    tests/servers/directoryservers.py stop DIR

What runs:
  slapd  LDAP_URL (ldap://127.0.0.1:LDAP_PORT, what dirmngr's "keyserver"
         takes), LDAP_BASE dc=example,dc=org, read by anyone, written by
         LDAP_ADMIN_DN with the password in LDAP_ADMIN_PASSWORD_FILE.
         ou=People: PEOPLE as inetOrgPerson (cn, sn, givenName, mail,
         displayName): more than thirty, several sharing a prefix ("Al",
         "Mar"), some with non-ASCII names, for completion and paging.
         ou=GnuPG Keys: OpenPGP keys in GnuPG's LDAP keyserver schema (v2,
         announced by cn=pgpServerInfo), so dirmngr finds them by
         fingerprint and by mail address.
  sks    HKP_URL (hkp://127.0.0.1:HKP_PORT), built from binary key dumps.
Keys (ed25519 + cv25519, no passphrase, made at each start in KEYS_HOME,
the GnuPG home holding their secret halves; NAME_FPR is each fingerprint and
DIR/keys/export/NAME.asc its public key as it was at start):
  alice  in LDAP and on sks        dora   only in LDAP
  erin   in LDAP, revoke_in_ldap() publishes its revocation there
  frank  only on sks               grace  on sks, revoke_on_sks() sends its
                                          revocation there (gpg --send-keys)
publish_in_ldap() puts a key as it is now in KEYS_HOME into LDAP (adds or
replaces its entry).
client_home() makes a GnuPG home whose dirmngr.conf names LDAP, sks or both
(LDAP first), with chosen keys imported as they were at start; stop() ends
the gpg-agent and dirmngr of every home it made.

GnuPG puts its sockets in KEYS_HOME and in each client home (unless
/run/user/UID exists): keep DIR and the homes' paths short (a socket's path
has at most 107 bytes).

Needs the Debian packages slapd, ldap-utils, sks, gnupg and dirmngr (not
root): start() raises Unavailable, and the command exits with 77 (meson's
"skip"), when they are missing.
"""

import base64
import os
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request

HOST = "127.0.0.1"
DOMAIN = "example.org"
BASE = "dc=example,dc=org"
PEOPLE_DN = f"ou=People,{BASE}"
KEYS_DN = f"ou=GnuPG Keys,{BASE}"
ADMIN_DN = f"cn=admin,{BASE}"
READY_TIMEOUT = 20.0
SKIP = 77

# (uid, given name, surname); each mail is uid@example.org.
PEOPLE = (
    ("alice", "Alice", "Liddell"), ("alan", "Alan", "Turing"), ("albert", "Albert", "Einstein"),
    ("alexandra", "Alexandra", "David-Néel"), ("alfred", "Alfred", "Wegener"),
    ("ali", "Ali", "Hassan"), ("amelia", "Amelia", "Earhart"), ("bob", "Bob", "Builder"),
    ("carol", "Carol", "Danvers"), ("dora", "Dora", "Maar"), ("emilie", "Émilie", "du Châtelet"),
    ("erin", "Erin", "Brockovich"), ("frank", "Frank", "Herbert"), ("grace", "Grace", "Hopper"),
    ("hedy", "Hedy", "Lamarr"), ("ida", "Ida", "Wells"), ("jose", "José", "Martí"),
    ("karl", "Karl", "Popper"), ("lise", "Lise", "Meitner"), ("marie", "Marie", "Curie"),
    ("mario", "Mario", "Rossi"), ("marta", "Marta", "Nowak"), ("martin", "Martin", "Luther"),
    ("mary", "Mary", "Shelley"), ("nina", "Nina", "Simone"), ("olga", "Olga", "Tokarczuk"),
    ("paul", "Paul", "Dirac"), ("rosa", "Rosa", "Parks"), ("sofia", "Sofia", "Kovalevskaya"),
    ("tim", "Tim", "Berners-Lee"), ("ursula", "Ursula", "Le Guin"), ("vera", "Vera", "Rubin"),
    ("zoe", "Zoë", "Saldana"),
)
KEYS = ("alice", "dora", "erin", "frank", "grace")
LDAP_KEYS = ("alice", "dora", "erin")
SKS_KEYS = ("alice", "frank", "grace")

TOOLS = ("/usr/sbin/slapd", "/usr/sbin/slapadd", "/usr/bin/ldapsearch", "/usr/bin/ldapmodify",
         "/usr/sbin/sks", "/usr/bin/gpg", "/usr/bin/gpgconf", "/usr/bin/dirmngr")
DAEMONS = ("slapd", "sks", "gpg-agent", "dirmngr", "scdaemon", "keyboxd")


class Unavailable(Exception):
    """The servers cannot run on this machine (packages missing)."""


def _run(argv, **kwargs):
    if "input" not in kwargs:
        kwargs["stdin"] = subprocess.DEVNULL
    try:
        return subprocess.run(argv, check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs)
    except subprocess.CalledProcessError as e:
        # What the tool said, for the test's log.
        sys.stderr.write((e.stderr or b"").decode(errors="replace"))
        raise


def _gpg(home, *args, **kwargs):
    return _run(["gpg", "--homedir", home, "--batch", "--no-tty", *args], **kwargs)


def _check_available():
    for path in TOOLS:
        if not os.access(path, os.X_OK):
            raise Unavailable(f"{path} is missing: build-aux/install-deps.sh --tests installs it")
    if not os.path.exists("/etc/ldap/schema/inetorgperson.schema"):
        raise Unavailable("OpenLDAP's schema files are missing: install slapd")


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


def _write(path, text, mode=0o644):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(path, mode)


def _read_env(d):
    env = {}
    with open(os.path.join(d, "env"), encoding="utf-8") as f:
        for line in f:
            key, _, value = line.rstrip("\n").partition("=")
            env[key] = shlex.split(value)[0] if value else ""
    return env


# ---- keys ---------------------------------------------------------------------

def _person(uid):
    return next(p for p in PEOPLE if p[0] == uid)


def _user_id(uid):
    _, given, sn = _person(uid)
    return f"{given} {sn} <{uid}@{DOMAIN}>"


def _make_keys(d):
    """Every key in one gpg run (well under a second): fingerprints by name."""
    home = os.path.join(d, "keys")
    os.makedirs(os.path.join(home, "export"), mode=0o700)
    os.chmod(home, 0o700)
    params = ["%no-protection\n"]
    for uid in KEYS:
        _, given, sn = _person(uid)
        params.append("Key-Type: eddsa\nKey-Curve: ed25519\nKey-Usage: sign\n"
                      "Subkey-Type: ecdh\nSubkey-Curve: cv25519\nSubkey-Usage: encrypt\n"
                      f"Name-Real: {given} {sn}\nName-Email: {uid}@{DOMAIN}\n"
                      "Expire-Date: 0\n%commit\n")
    _gpg(home, "--gen-key", input="".join(params).encode())
    fingerprints = {}
    for uid in KEYS:
        fingerprints[uid] = _fingerprint(home, f"<{uid}@{DOMAIN}>")
        with open(os.path.join(home, "export", f"{uid}.asc"), "wb") as f:
            f.write(_gpg(home, "--armor", "--export", fingerprints[uid]).stdout)
    return fingerprints


def _fingerprint(home, pattern):
    out = _gpg(home, "--with-colons", "--list-keys", pattern).stdout.decode()
    return next(line.split(":")[9] for line in out.splitlines() if line.startswith("fpr:"))


def _revoke(d, uid, fpr):
    """Makes uid's key revoked in KEYS_HOME (with the certificate gpg made
    with the key); its fingerprint stays the same."""
    home = os.path.join(d, "keys")
    with open(os.path.join(home, "openpgp-revocs.d", f"{fpr}.rev"), encoding="ascii") as f:
        # gpg guards against an accidental import with a leading ':'.
        cert = f.read().replace(":-----BEGIN PGP PUBLIC KEY BLOCK", "-----BEGIN PGP PUBLIC KEY BLOCK")
    _gpg(home, "--import", input=cert.encode())


# ---- slapd --------------------------------------------------------------------

SCHEMA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "gnupg-ldap.schema")

SLAPD_CONF = """\
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include {l}/gnupg-ldap.schema
pidfile {l}/slapd.pid
argsfile {l}/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb
loglevel none
sizelimit unlimited
database mdb
maxsize 67108864
suffix "{base}"
rootdn "{admin}"
rootpw {password}
directory {l}/db
index objectClass eq
index cn,mail,sn,givenName,displayName eq,sub
index gpgMailbox,gpgFingerprint,gpgSubFingerprint,pgpCertID,pgpKeyID eq
index pgpUserID eq,sub
access to * by * read
"""


def _ldif_value(name, value):
    """name: value, or name:: base64 where LDIF needs it (non-ASCII)."""
    if value.isascii() and not value.startswith((" ", ":", "<")):
        return f"{name}: {value}\n"
    return f"{name}:: {base64.b64encode(value.encode()).decode()}\n"


def _key_entry(home, uid, fpr):
    """uid's key as a pgpKeyInfo entry (changetype-free LDIF lines after dn)."""
    cols = _gpg(home, "--with-colons", "--fixed-list-mode", "--list-keys", fpr).stdout.decode()
    lines = [line.split(":") for line in cols.splitlines()]
    pub = next(f for f in lines if f[0] == "pub")
    keyid, created = pub[4], int(pub[5])
    subs, sub_fprs, previous = [], [], None
    for f in lines:
        if f[0] == "sub":
            subs.append(f[4])
        elif f[0] == "fpr" and previous == "sub":
            sub_fprs.append(f[9])
        previous = f[0]
    armored = _gpg(home, "--armor", "--export", fpr).stdout
    text = (f"objectClass: pgpKeyInfo\npgpCertID: {keyid}\npgpKeyID: {keyid[8:]}\n"
            f"gpgFingerprint: {fpr}\n" + _ldif_value("pgpUserID", _user_id(uid)) +
            f"gpgMailbox: {uid}@{DOMAIN}\n"
            f"pgpKeyCreateTime: {time.strftime('%Y%m%d%H%M%SZ', time.gmtime(created))}\n"
            f"pgpKeyType: EdDSA\npgpKeySize: 256\n"
            f"pgpRevoked: {1 if pub[1] == 'r' else 0}\npgpDisabled: 0\n")
    text += "".join(f"pgpSubKeyID: {s}\n" for s in subs)
    text += "".join(f"gpgSubFingerprint: {s}\n" for s in sub_fprs)
    text += f"pgpKey:: {base64.b64encode(armored).decode()}\n"
    return f"pgpCertID={keyid},{KEYS_DN}", text


def _directory_ldif(home, fingerprints):
    out = [f"dn: {BASE}\nobjectClass: dcObject\nobjectClass: organization\no: Example Org\ndc: example\n\n",
           f"dn: cn=pgpServerInfo,{BASE}\nobjectClass: pgpServerInfo\ncn: pgpServerInfo\n"
           f"pgpBaseKeySpaceDN: {KEYS_DN}\npgpSoftware: GnuPG\npgpVersion: 2\n\n",
           f"dn: {KEYS_DN}\nobjectClass: organizationalUnit\nou: GnuPG Keys\n\n",
           f"dn: {PEOPLE_DN}\nobjectClass: organizationalUnit\nou: People\n\n"]
    for uid, given, sn in PEOPLE:
        out.append(f"dn: uid={uid},{PEOPLE_DN}\nobjectClass: inetOrgPerson\nuid: {uid}\n" +
                   _ldif_value("cn", f"{given} {sn}") + _ldif_value("givenName", given) +
                   _ldif_value("sn", sn) + _ldif_value("displayName", f"{given} {sn}") +
                   f"mail: {uid}@{DOMAIN}\n\n")
    for uid in LDAP_KEYS:
        dn, entry = _key_entry(home, uid, fingerprints[uid])
        out.append(f"dn: {dn}\n{entry}\n")
    return "".join(out)


def _build_ldap(d, fingerprints):
    ldap = os.path.join(d, "ldap")
    os.makedirs(os.path.join(ldap, "db"))
    password = secrets.token_hex(12)
    _write(os.path.join(ldap, "admin-password"), password, 0o600)
    shutil.copyfile(SCHEMA, os.path.join(ldap, "gnupg-ldap.schema"))
    _write(os.path.join(ldap, "slapd.conf"),
           SLAPD_CONF.format(l=ldap, base=BASE, admin=ADMIN_DN, password=password), 0o600)
    _write(os.path.join(ldap, "directory.ldif"), _directory_ldif(os.path.join(d, "keys"), fingerprints))
    _run(["slapadd", "-q", "-f", os.path.join(ldap, "slapd.conf"), "-l", os.path.join(ldap, "directory.ldif")])


def _ldap_answers(port):
    r = subprocess.run(["ldapsearch", "-x", "-H", f"ldap://{HOST}:{port}", "-b", BASE, "-s", "base",
                        "-LLL", "dn"], stdin=subprocess.DEVNULL, capture_output=True)
    return r.returncode == 0


def _start_slapd(d, port):
    ldap = os.path.join(d, "ldap")
    # slapd forks into the background once it listens; its output (nothing
    # with "loglevel none") must not keep the caller's stdout open.
    with open(os.path.join(ldap, "slapd.out"), "ab") as out:
        r = subprocess.run(["/usr/sbin/slapd", "-f", os.path.join(ldap, "slapd.conf"),
                            "-h", f"ldap://{HOST}:{port}/", "-n", f"slapd-signet-test-{port}"],
                           stdin=subprocess.DEVNULL, stdout=out, stderr=out, check=False)
    if r.returncode != 0:
        with open(os.path.join(ldap, "slapd.out"), encoding="utf-8", errors="replace") as f:
            raise RuntimeError(f"slapd did not start:\n{f.read()}")
    _wait(lambda: _ldap_answers(port), f"slapd on port {port}")


def _ldap_modify(d, ldif):
    env = _read_env(d)
    return subprocess.run(["ldapmodify", "-x", "-H", env["LDAP_URL"], "-D", ADMIN_DN,
                           "-y", env["LDAP_ADMIN_PASSWORD_FILE"]],
                          input=ldif.encode(), capture_output=True, check=False)


def publish_in_ldap(directory, uid):
    """Puts uid's key as it is now in KEYS_HOME into the directory: adds its
    entry, or replaces the one there (a revocation, new user IDs)."""
    d = os.path.abspath(directory)
    env = _read_env(d)
    dn, entry = _key_entry(os.path.join(d, "keys"), uid, env[f"{uid.upper()}_FPR"])
    r = _ldap_modify(d, f"dn: {dn}\nchangetype: add\n{entry}")
    if r.returncode == 68:  # already exists
        values = {}
        for line in entry.splitlines():
            values.setdefault(line.split(":")[0], []).append(line)
        replace = "".join(f"replace: {name}\n" + "".join(f"{line}\n" for line in lines) + "-\n"
                          for name, lines in values.items() if name not in ("objectClass", "pgpCertID"))
        r = _ldap_modify(d, f"dn: {dn}\nchangetype: modify\n{replace}")
    if r.returncode != 0:
        raise RuntimeError(f"ldapmodify of {dn} failed: {r.stderr.decode(errors='replace')}")


def revoke_in_ldap(directory, uid):
    """Revokes uid's key and publishes the revoked key in the directory."""
    d = os.path.abspath(directory)
    _revoke(d, uid, _read_env(d)[f"{uid.upper()}_FPR"])
    publish_in_ldap(d, uid)


def stop_ldap(directory):
    """Stops slapd alone; sks keeps running. Its port then refuses."""
    d = os.path.abspath(directory)
    _stop_pid(_read_pid(os.path.join(d, "ldap", "slapd.pid")))
    _unlink(os.path.join(d, "ldap", "slapd.pid"))


def start_ldap(directory):
    """Starts slapd again, on the same port, with what it held."""
    d = os.path.abspath(directory)
    _start_slapd(d, int(_read_env(d)["LDAP_PORT"]))


def pause(directory, server):
    """Freezes server ("ldap" or "sks") with SIGSTOP: its port still accepts
    connections (the kernel completes them) but nothing is ever answered,
    as with a server that hangs. resume() lets it go on."""
    _signal_server(directory, server, signal.SIGSTOP)


def resume(directory, server):
    _signal_server(directory, server, signal.SIGCONT)


def _signal_server(directory, server, sig):
    d = os.path.abspath(directory)
    pidfile = {"ldap": os.path.join(d, "ldap", "slapd.pid"), "sks": os.path.join(d, "sks", "sks.pid")}[server]
    pid = _read_pid(pidfile)
    if pid is None or not _alive(pid):
        raise RuntimeError(f"{server} is not running")
    os.kill(pid, sig)


# ---- sks ----------------------------------------------------------------------

def _build_sks(d, fingerprints):
    sks = os.path.join(d, "sks")
    # Debian's sks puts its compiled-in paths (var/lib/sks/DB, var/log/sks,
    # var/run/sks) below -basedir: without it, the system's own.
    for sub in ("dump", "var/lib/sks", "var/log/sks", "var/run/sks"):
        os.makedirs(os.path.join(sks, sub))
    # "sks build" reads binary packets only, never armour.
    dump = _gpg(os.path.join(d, "keys"), "--export", *(fingerprints[u] for u in SKS_KEYS)).stdout
    with open(os.path.join(sks, "dump", "keys.pgp"), "wb") as f:
        f.write(dump)
    with open(os.path.join(sks, "build.log"), "wb") as log:
        r = subprocess.run(["sks", "build", os.path.join(sks, "dump", "keys.pgp"), "-n", "10", "-cache", "100",
                            "-basedir", sks, "-stdoutlog"], cwd=sks, stdin=subprocess.DEVNULL,
                           stdout=log, stderr=log, check=False)
    if r.returncode != 0:
        with open(os.path.join(sks, "build.log"), encoding="utf-8", errors="replace") as f:
            raise RuntimeError(f"sks build failed:\n{f.read()}")


def _sks_answers(port):
    try:
        with urllib.request.urlopen(f"http://{HOST}:{port}/pks/lookup?op=stats", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def _start_sks(d, port):
    sks = os.path.join(d, "sks")
    with open(os.path.join(sks, "db.log"), "ab") as log:
        # "sks db" alone serves HKP lookups and additions (no gossip).
        proc = subprocess.Popen(["sks", "db", "-basedir", sks, "-stdoutlog", "-hkp_address", HOST,
                                 "-hkp_port", str(port)], cwd=sks, stdin=subprocess.DEVNULL,
                                stdout=log, stderr=log, start_new_session=True)
    _write(os.path.join(sks, "sks.pid"), f"{proc.pid}\n")

    def ready():
        if proc.poll() is not None:
            with open(os.path.join(sks, "db.log"), encoding="utf-8", errors="replace") as f:
                raise RuntimeError(f"sks db exited:\n{f.read()}")
        return _sks_answers(port)
    _wait(ready, f"sks on port {port}")


def stop_sks(directory):
    """Stops sks alone; slapd keeps running. Its port then refuses."""
    d = os.path.abspath(directory)
    _stop_pid(_read_pid(os.path.join(d, "sks", "sks.pid")))
    _unlink(os.path.join(d, "sks", "sks.pid"))


def start_sks(directory):
    """Starts sks again, on the same port, with what it held."""
    d = os.path.abspath(directory)
    _start_sks(d, int(_read_env(d)["HKP_PORT"]))


def revoke_on_sks(directory, uid):
    """Revokes uid's key and sends it to sks with gpg --send-keys, as its
    owner would; the key's copies elsewhere stay as they were."""
    d = os.path.abspath(directory)
    env = _read_env(d)
    _revoke(d, uid, env[f"{uid.upper()}_FPR"])
    sender = os.path.join(d, "sender")
    if not os.path.isdir(sender):
        _client_home(d, sender, "hkp", ())
    key = _gpg(env["KEYS_HOME"], "--export", env[f"{uid.upper()}_FPR"]).stdout
    _gpg(sender, "--import", input=key)
    _gpg(sender, "--send-keys", env[f"{uid.upper()}_FPR"])


# ---- clients ------------------------------------------------------------------

def _client_home(d, home, servers, names):
    env = _read_env(d)
    lines = {"ldap": [f"keyserver {env['LDAP_URL']}\n"], "hkp": [f"keyserver {env['HKP_URL']}\n"],
             "both": [f"keyserver {env['LDAP_URL']}\n", f"keyserver {env['HKP_URL']}\n"]}[servers]
    os.makedirs(home, mode=0o700, exist_ok=True)
    os.chmod(home, 0o700)
    _write(os.path.join(home, "dirmngr.conf"), "".join(lines))
    with open(os.path.join(d, "client-homes"), "a", encoding="utf-8") as f:
        f.write(os.path.abspath(home) + "\n")
    for uid in names:
        _gpg(home, "--import", os.path.join(d, "keys", "export", f"{uid}.asc"))
    return home


def client_home(directory, home, servers="both", names=()):
    """Makes home a GnuPG home whose dirmngr.conf names the LDAP directory
    ("ldap"), sks ("hkp") or both, LDAP first ("both"); with the public keys
    of names imported as they were at start (before any revocation).
    stop() ends its gpg-agent and dirmngr."""
    return _client_home(os.path.abspath(directory), home, servers, names)


# ---- start and stop -----------------------------------------------------------

class DirectoryServers:
    """What a client needs: env holds every KEY=VALUE the command prints."""

    def __init__(self, env):
        self.env = env

    @property
    def directory(self):
        return self.env["DIR"]

    def fingerprint(self, uid):
        return self.env[uid.upper() + "_FPR"]

    def client_home(self, home, servers="both", names=()):
        return client_home(self.directory, home, servers, names)

    def publish_in_ldap(self, uid):
        publish_in_ldap(self.directory, uid)

    def revoke_in_ldap(self, uid):
        revoke_in_ldap(self.directory, uid)

    def revoke_on_sks(self, uid):
        revoke_on_sks(self.directory, uid)

    def stop_sks(self):
        stop_sks(self.directory)

    def start_sks(self):
        start_sks(self.directory)

    def pause(self, server):
        pause(self.directory, server)

    def resume(self, server):
        resume(self.directory, server)

    def stop_ldap(self):
        stop_ldap(self.directory)

    def start_ldap(self):
        start_ldap(self.directory)


def _wait(ready, what):
    deadline = time.monotonic() + READY_TIMEOUT
    while not ready():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} never answered")
        time.sleep(0.02)


def start(directory):
    """Starts slapd and sks below directory (which must not hold an earlier
    start); returns a DirectoryServers once each answers."""
    _check_available()
    d = os.path.abspath(directory)
    t0 = time.monotonic()
    os.makedirs(d, exist_ok=True)
    if os.path.exists(os.path.join(d, "keys")):
        raise RuntimeError(f"{d} holds an earlier start: stop it and choose a fresh directory")
    ldap_port, hkp_port = _free_ports(2)
    env = {
        "DIR": d,
        "HOST": HOST,
        "LDAP_PORT": str(ldap_port),
        "LDAP_URL": f"ldap://{HOST}:{ldap_port}",
        "LDAP_BASE": BASE,
        "LDAP_PEOPLE": PEOPLE_DN,
        "LDAP_KEYS": KEYS_DN,
        "LDAP_ADMIN_DN": ADMIN_DN,
        "LDAP_ADMIN_PASSWORD_FILE": os.path.join(d, "ldap", "admin-password"),
        "HKP_PORT": str(hkp_port),
        "HKP_URL": f"hkp://{HOST}:{hkp_port}",
        "KEYS_HOME": os.path.join(d, "keys"),
        "PEOPLE": " ".join(p[0] for p in PEOPLE),
        "DOMAIN": DOMAIN,
    }
    try:
        fingerprints = _make_keys(d)
        for uid, fpr in fingerprints.items():
            env[f"{uid.upper()}_FPR"] = fpr
            env[f"{uid.upper()}_KEY"] = os.path.join(d, "keys", "export", f"{uid}.asc")
        _write(os.path.join(d, "env"), format_env(env))
        _build_ldap(d, fingerprints)
        _build_sks(d, fingerprints)
        _start_slapd(d, ldap_port)
        _start_sks(d, hkp_port)
    except BaseException:
        stop(d)
        raise
    env["READY_SECONDS"] = f"{time.monotonic() - t0:.2f}"
    _write(os.path.join(d, "env"), format_env(env))
    return DirectoryServers(env)


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


def _read_pid(path):
    try:
        with open(path, encoding="ascii") as f:
            return int(f.read().strip() or 0) or None
    except (OSError, ValueError):
        return None


def _unlink(path):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def _wait_gone(pids, seconds):
    deadline = time.monotonic() + seconds
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.02)
    return [p for p in pids if _alive(p)]


def _stop_pid(pid):
    if pid is None or not _alive(pid):
        return
    os.kill(pid, signal.SIGTERM)
    os.kill(pid, signal.SIGCONT)  # a paused server
    if _wait_gone([pid], 5):
        os.kill(pid, signal.SIGKILL)
        if _wait_gone([pid], 5):
            raise RuntimeError(f"process {pid} did not stop")


def _processes_of(d):
    """Every live daemon (slapd, sks, gpg-agent, dirmngr...) whose command
    line names a path in d."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/comm", encoding="utf-8", errors="replace") as f:
                comm = f.read().strip()
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                args = f.read().decode(errors="replace").split("\0")
        except OSError:
            continue
        if comm in DAEMONS and any(a == d or a.startswith(d + "/") for a in args) and _alive(int(entry)):
            found.append(int(entry))
    return found


def stop(directory):
    """Stops whatever start() started below directory, and the gpg-agent and
    dirmngr of every client home made for it. Returns quietly when nothing
    runs; raises if a process would not go."""
    d = os.path.abspath(directory)
    homes = [os.path.join(d, "keys"), os.path.join(d, "sender")]
    try:
        with open(os.path.join(d, "client-homes"), encoding="utf-8") as f:
            homes += f.read().split()
    except OSError:
        pass
    for home in homes:
        if os.path.isdir(home):
            subprocess.run(["gpgconf", "--homedir", home, "--kill", "all"], stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    pidfiles = [os.path.join(d, "ldap", "slapd.pid"), os.path.join(d, "sks", "sks.pid")]
    pids = [p for p in map(_read_pid, pidfiles) if p is not None and _alive(p)]
    for pid in pids:
        os.kill(pid, signal.SIGTERM)
        os.kill(pid, signal.SIGCONT)  # a paused server
    left = _wait_gone(pids + _processes_of(d), 2)
    for pid in set(left + _processes_of(d)):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    left = _wait_gone(pids + _processes_of(d), 5)
    # A stale pidfile would make a later stop() signal a stranger.
    for path in pidfiles:
        _unlink(path)
    if left:
        raise RuntimeError(f"processes {left} did not stop")


USAGE = """\
usage: {0} start|stop|stop-ldap|start-ldap|stop-sks|start-sks DIR
       {0} pause|resume DIR ldap|sks
       {0} revoke-on-sks|revoke-in-ldap|publish-in-ldap DIR NAME
       {0} client-home DIR HOME ldap|hkp|both [NAME...]"""


def main(argv):
    commands = {"stop": stop, "stop-ldap": stop_ldap, "start-ldap": start_ldap, "stop-sks": stop_sks,
                "start-sks": start_sks}
    with_name = {"pause": pause, "resume": resume, "revoke-on-sks": revoke_on_sks,
                 "revoke-in-ldap": revoke_in_ldap, "publish-in-ldap": publish_in_ldap}
    command = argv[1] if len(argv) > 1 else ""
    if not ((command in commands or command == "start") and len(argv) == 3
            or command in with_name and len(argv) == 4
            and (argv[3] in ("ldap", "sks") if command in ("pause", "resume") else argv[3] in KEYS)
            or command == "client-home" and len(argv) >= 5 and argv[4] in ("ldap", "hkp", "both")
            and all(name in KEYS for name in argv[5:])):
        print(USAGE.format(argv[0]), file=sys.stderr)
        return 2
    try:
        if command == "start":
            sys.stdout.write(format_env(start(argv[2]).env))
        elif command in commands:
            commands[command](argv[2])
        elif command in with_name:
            with_name[command](argv[2], argv[3])
        else:
            print(os.path.abspath(client_home(argv[2], argv[3], argv[4], argv[5:])))
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
