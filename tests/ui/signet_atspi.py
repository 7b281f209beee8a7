"""Drive the real signet binary through the accessibility tree (AT-SPI)."""

import os
import shutil
import subprocess
import sys
import tempfile
import time

import gi

gi.require_version("Atspi", "2.0")
from gi.repository import Atspi  # noqa: E402

KB_HEADING = "The client operation failed. The recipients could not be validated."


def wait_for(predicate, what, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def walk(node):
    yield node
    for i in range(node.get_child_count()):
        child = node.get_child_at_index(i)
        if child is not None:
            yield from walk(child)


def text_of(node):
    try:
        return Atspi.Text.get_text(node, 0, Atspi.Text.get_character_count(node))
    except Exception:
        return ""


def recipients_text(text_node):
    """What an address field holds: its pills (each named by its address)
    and what is still typed after them, joined with ", "."""
    parent = text_node if text_node is not None and text_node.get_child_count() > 0 else (
        text_node.get_parent() if text_node is not None else None)
    parts = []
    if parent is not None:
        for i in range(parent.get_child_count()):
            child = parent.get_child_at_index(i)
            if child is None or child == text_node or child.get_role_name() in ("text", "label"):
                continue
            if child.get_name():
                parts.append(child.get_name())
    typed = text_of(text_node) if text_node is not None else ""
    if typed:
        parts.append(typed)
    return ", ".join(parts)


class App:
    """A signet process with its own data dirs, and helpers to find its widgets."""

    def __init__(self, binary, *args, schema_dir, tmp=None, extra_env=None, stderr=None):
        self.tmp = tmp or tempfile.mkdtemp(prefix="sgu.")
        env = dict(os.environ)
        env.pop("NO_AT_BRIDGE", None)
        env.update({
            "XDG_DATA_HOME": os.path.join(self.tmp, "data"),
            "XDG_CONFIG_HOME": os.path.join(self.tmp, "config"),
            "XDG_CACHE_HOME": os.path.join(self.tmp, "cache"),
            "GSETTINGS_BACKEND": "memory",
            "GDK_BACKEND": "x11",
            "GSK_RENDERER": "cairo",
            "GDK_DEBUG": "gl-disable",
            "GTK_A11Y": "atspi",
        })
        if schema_dir:
            env["GSETTINGS_SCHEMA_DIR"] = schema_dir
        env.update(extra_env or {})
        self.data_dir = os.path.join(self.tmp, "data", "signet")
        # GTK 4.8's AT-SPI code now and then fails an assertion of its own
        # while widgets come and go (g_variant_is_object_path on a NULL
        # path); fatal criticals would turn that into a crash of Signet.
        # Criticals are still failures: close() reads them from the log.
        env["G_DEBUG"] = ",".join(flag for flag in env.get("G_DEBUG", "").split(",")
                                  if flag and flag != "fatal-criticals")
        self.env = env
        self.log = None
        if stderr is None:
            self.log = tempfile.TemporaryFile(mode="w+", prefix="sgu-log.")
            stderr = self.log
        self.proc = subprocess.Popen([binary, *args], env=env, stderr=stderr)
        self.node = wait_for(self._find_app, "signet on the accessibility bus")

    def _find_app(self):
        desktop = Atspi.get_desktop(0)
        for i in range(desktop.get_child_count()):
            app = desktop.get_child_at_index(i)
            if app is not None and app.get_name() == "signet":
                return app
        return None

    def find(self, role, name=None, contains=None):
        for node in walk(self.node):
            try:
                if node.get_role_name() != role:
                    continue
                if name is not None and node.get_name() != name:
                    continue
                if contains is not None and contains not in text_of(node):
                    continue
                return node
            except Exception:
                continue
        return None

    def wait_find(self, role, name=None, contains=None, timeout=30.0):
        return wait_for(lambda: self.find(role, name, contains), f"{role} {name or contains!r}", timeout)

    def terminate(self):
        self.proc.terminate()

    @staticmethod
    def _agents(home):
        agents = subprocess.run(["pgrep", "-a", "-x", "gpg-agent"], capture_output=True, text=True).stdout
        return [line for line in agents.splitlines() if home in line]

    def toplevels(self, role=None, name=None):
        """The app's windows (frames and dialogs), optionally by role and name."""
        found = []
        for i in range(self.node.get_child_count()):
            child = self.node.get_child_at_index(i)
            if child is None:
                continue
            if (role is None or child.get_role_name() == role) and (name is None or child.get_name() == name):
                found.append(child)
        return found

    def seal_on(self):
        """Presses Seal in the composer and waits until it shows as on."""
        seal = self.wait_find("push button", "Seal")
        click(seal)
        wait_for(lambda: seal.get_state_set().contains(Atspi.StateType.PRESSED), "Seal to be on")

    def files_in(self, folder):
        root = os.path.join(self.data_dir, "Mail", folder)
        return [os.path.join(d, f) for d, _, files in os.walk(root) for f in files]

    def close(self, remove=True):
        """Ends signet as a session would (SIGTERM) and checks it shut down
        cleanly: exit status 0 (under ASan: no leaks) and no gpg-agent left."""
        running = self.proc.poll() is None
        if running:
            self.terminate()
        try:
            code = self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        home = os.path.join(self.data_dir, "demo-gnupg")
        left = []
        if running:
            # gpgconf --kill asks the agent to exit; it takes a moment. (The
            # test's own gpg calls may start an agent later: not checked.)
            try:
                wait_for(lambda: not self._agents(home), "the demo gpg-agent to exit", 10)
            except AssertionError:
                left = self._agents(home)
        if os.path.isdir(home):
            subprocess.run(["gpgconf", "--homedir", home, "--kill", "all"], check=False)
        if remove:
            shutil.rmtree(self.tmp, ignore_errors=True)
        log = self.read_log()
        if running:
            assert code == 0, f"signet exited with {code}"
            assert not left, f"gpg-agent left running: {left}"
        criticals = [line for line in log.splitlines()
                     if "CRITICAL" in line and self.KNOWN_UPSTREAM not in line]
        assert not criticals, f"signet logged criticals: {criticals}"

    KNOWN_UPSTREAM = "g_variant_is_object_path: assertion 'string != NULL' failed"

    def read_log(self):
        """What signet logged (passed on to the test's own stderr)."""
        if self.log is None:
            return ""
        self.log.seek(0)
        text = self.log.read()
        sys.stderr.write(text)
        return text


def network_up():
    """In the test's own network namespace only: a default route over
    loopback makes GNetworkMonitor say the network is there. Nothing is
    sent anywhere."""
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    subprocess.run(["ip", "route", "add", "default", "dev", "lo"], check=True)


def pills(field):
    """A recipient field's pills as (name, description) pairs."""
    found = []
    for i in range(field.get_child_count()):
        child = field.get_child_at_index(i)
        if child is not None and child.get_name():
            found.append((child.get_name(), child.get_description() or ""))
    return found


def described(field, address, words):
    """Whether the pill of @address in @field says @words about its key."""
    return any(name.endswith(address) and words in description for name, description in pills(field))


def type_into(app, entry_name, text):
    entry = app.wait_find("text", entry_name)
    try:
        Atspi.EditableText.set_text_contents(entry, text)
    except Exception:
        Atspi.Component.grab_focus(entry)
        subprocess.run(["xdotool", "type", "--delay", "5", text], check=True)
    wait_for(lambda: text_of(entry) == text or recipients_text(entry) == text, f"{entry_name} to read {text!r}")


def click(node):
    """Activates @node, or (a GtkMenuButton) the first descendant that acts."""
    for candidate in walk(node):
        action = candidate.get_action_iface()
        if action is not None and action.get_n_actions() > 0:
            action.do_action(0)
            return
    raise AssertionError(f"{node.get_role_name()} {node.get_name()!r} cannot be activated")


def button_labelled(root, label):
    """The push button whose visible label is @label (libadwaita 1.2 names
    response buttons after their mnemonic text, e.g. '_Close Close')."""
    for node in walk(root):
        try:
            if node.get_role_name() == "label" and node.get_name() == label:
                parent = node.get_parent()
                if parent is not None and parent.get_role_name() == "push button":
                    return parent
        except Exception:
            continue
    return None


# ---- Real mail servers, a keyring and settings, for tests that deliver ------
#
# Tests that deliver through the real Postfix and Dovecot of
# tests/servers/mailservers.py call run_in_mail_namespace() first: the script
# runs again in a network namespace of its own, as real root (Postfix's
# master needs it), with loopback up and a default route over it, so that
# GNetworkMonitor says online and nothing but 127.0.0.1 can be reached; with
# its own D-Bus session and X server. Everything else is set up through what
# a user has: GSettings (the keyfile backend in the test's own config dir,
# written with the gsettings command) and a real gnome-keyring-daemon on the
# test's session bus, filled with secret-tool.

import base64  # noqa: E402
import ctypes  # noqa: E402
import email  # noqa: E402
import email.policy  # noqa: E402
import signal  # noqa: E402

SKIP = 77
MAIL_NAMESPACE_MARK = "SIGNET_TEST_MAIL_NAMESPACE"
SERVERS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "servers")
DEMO_KEYS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "data", "demo",
                         "demo-keys.asc")
DEMO_SENDER_KEYID = "7A3F2A942CEF5CBA"
PYTHON = "/usr/bin/python3"


def skip(reason):
    print(f"1..0 # SKIP {reason}")
    print(f"skipped: {reason}", file=sys.stderr)
    sys.exit(SKIP)


MAIL_SERVER_TOOLS = ("/usr/sbin/postfix", "/usr/sbin/dovecot", "/usr/bin/gnome-keyring-daemon",
                     "/usr/bin/secret-tool", "/usr/bin/gsettings")


def run_in_mail_namespace(tools=MAIL_SERVER_TOOLS):
    """Runs this script again (same arguments) in a network namespace for the
    mail servers, unless it already runs in one. Exits 77 (skip) without
    root or without @tools."""
    if os.environ.get(MAIL_NAMESPACE_MARK) == "1":
        return
    if os.geteuid() != 0:
        skip("the mail servers need root (Postfix's master runs only as root)")
    for tool in tools:
        if not os.access(tool, os.X_OK):
            skip(f"{tool} is missing: build-aux/install-deps.sh --tests installs it")
    env = dict(os.environ)
    env[MAIL_NAMESPACE_MARK] = "1"
    script = ("ip link set lo up && ip route add default dev lo && "
              "exec dbus-run-session -- xvfb-run -a -s '-screen 0 1280x800x24 -noreset' \"$@\"")
    argv = ["unshare", "-n", "sh", "-c", script, "sh", PYTHON, os.path.abspath(sys.argv[0]), *sys.argv[1:]]
    sys.stdout.flush()
    sys.stderr.flush()
    os.execvpe("unshare", argv, env)


def _die_with_parent():
    # PR_SET_PDEATHSIG: a test that dies takes the child along.
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)


def _mailservers():
    if SERVERS_DIR not in sys.path:
        sys.path.insert(0, SERVERS_DIR)
    import mailservers
    return mailservers


class MailServers:
    """Postfix and Dovecot below @directory, stopped by stop() or, if the test
    dies first, by a guard process that waits for the test's end."""

    def __init__(self, directory):
        self.directory = directory
        ms = _mailservers()
        try:
            self.servers = ms.start(directory)
        except ms.Unavailable as e:
            skip(str(e))
        self.env = self.servers.env
        # In a session of its own: the guard outlives the test's process group.
        self.guard = subprocess.Popen(
            [PYTHON, "-c", "import sys; sys.path.insert(0, sys.argv[1]); import mailservers; "
                           "sys.stdin.read(); mailservers.stop(sys.argv[2])", SERVERS_DIR, directory],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, start_new_session=True)

    def password(self, user):
        return self.servers.password(user)

    def maildir(self, user, folder=None):
        path = self.servers.maildir(user)
        return os.path.join(path, "." + folder) if folder else path

    def messages(self, user, folder=None):
        """Paths of the messages in @user's mailbox (INBOX, or @folder)."""
        root = self.maildir(user, folder)
        found = []
        for sub in ("new", "cur"):
            d = os.path.join(root, sub)
            found += [os.path.join(d, f) for f in sorted(os.listdir(d))] if os.path.isdir(d) else []
        return found

    def queue_empty(self):
        out = subprocess.run(["postqueue", "-c", os.path.join(self.directory, "postfix"), "-p"],
                             capture_output=True, text=True).stdout
        return "Mail queue is empty" in out

    def sessions_open(self):
        """SMTP sessions Postfix has opened but not yet closed (from its log)."""
        try:
            with open(self.env["POSTFIX_LOG"], encoding="utf-8", errors="replace") as f:
                log = f.read()
        except OSError:
            return 0
        return log.count("]: connect from ") - log.count("]: disconnect from ")

    def wait_settled(self, timeout=30):
        """Until Postfix has no session open and nothing queued: whatever it
        accepted is in the Maildirs."""
        wait_for(lambda: self.sessions_open() == 0 and self.queue_empty(), "Postfix to settle", timeout)

    def stop(self):
        if self.guard.poll() is None:
            self.guard.stdin.close()
            self.guard.wait(timeout=30)
        _mailservers().stop(self.directory)


class Keyring:
    """A real gnome-keyring-daemon (Secret Service) on the test's session bus,
    keeping its files below @directory; its login keyring unlocked."""

    UNLOCK = "throwaway keyring password"

    def __init__(self, directory):
        os.makedirs(os.path.join(directory, "data"), mode=0o700, exist_ok=True)
        env = dict(os.environ)
        env["XDG_DATA_HOME"] = os.path.join(directory, "data")
        self.log = open(os.path.join(directory, "gnome-keyring.log"), "w+", encoding="utf-8")
        self.proc = subprocess.Popen(["gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets"],
                                     env=env, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=self.log,
                                     preexec_fn=_die_with_parent)
        self.proc.stdin.write(self.UNLOCK.encode())
        self.proc.stdin.close()
        wait_for(lambda: self.proc.poll() is not None or self._owned(), "the Secret Service on the bus", 20)
        if self.proc.poll() is not None:
            self.log.seek(0)
            raise AssertionError(f"gnome-keyring-daemon did not start: {self.log.read()}")

    @staticmethod
    def _owned():
        out = subprocess.run(["dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.DBus",
                              "/org/freedesktop/DBus", "org.freedesktop.DBus.NameHasOwner",
                              "string:org.freedesktop.secrets"], capture_output=True, text=True).stdout
        return "boolean true" in out

    @staticmethod
    def store(password, label, **attributes):
        """secret-tool store, the password on its standard input (never in argv)."""
        args = [item for key, value in attributes.items() for item in (key, str(value))]
        # GLib's debug messages would go to standard output, with the password.
        env = {k: v for k, v in os.environ.items() if k != "G_MESSAGES_DEBUG"}
        subprocess.run(["secret-tool", "store", f"--label={label}", *args], input=password.encode(),
                       check=True, timeout=30, env=env)
        found = subprocess.run(["secret-tool", "lookup", *args], capture_output=True, check=True,
                               timeout=30, env=env).stdout.decode()
        assert found == password, "secret-tool does not find the password it stored"

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.log.close()


class Settings:
    """GSettings for a signet process, through the keyfile backend in the
    config dir it will use (tmp/config), written with the gsettings command."""

    def __init__(self, tmp, schema_dir):
        self.env = dict(os.environ)
        self.env.update({"XDG_CONFIG_HOME": os.path.join(tmp, "config"), "GSETTINGS_BACKEND": "keyfile",
                         "GSETTINGS_SCHEMA_DIR": schema_dir})
        [schema] = [f[:-len(".gschema.xml")] for f in os.listdir(schema_dir) if f.endswith(".gschema.xml")]
        self.schema = schema

    def app_env(self):
        """What App(extra_env=...) needs to read these settings."""
        return {"GSETTINGS_BACKEND": "keyfile"}

    def set(self, key, value):
        """@value: a Python str, bool, int (for "u" keys) or list of str."""
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, int):
            text = f"uint32 {value}"
        elif isinstance(value, list):
            text = "[" + ", ".join(_gvariant_string(v) for v in value) + "]"
        else:
            text = _gvariant_string(value)
        subprocess.run(["gsettings", "set", self.schema, key, text], env=self.env, check=True)

    def get(self, key):
        return subprocess.run(["gsettings", "get", self.schema, key], env=self.env, check=True,
                              capture_output=True, text=True).stdout.strip()


def _gvariant_string(value):
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def make_gnupghome(keys=DEMO_KEYS, trusted=DEMO_SENDER_KEYID, secret_of=None):
    """A short-path GnuPG home with the demo keys (every key pair, the demo
    sender's ultimately trusted, having certified the others), or, with
    @secret_of, only that user's key pair exported from @keys' home."""
    home = tempfile.mkdtemp(prefix="sg.", dir="/tmp")
    os.chmod(home, 0o700)
    with open(os.path.join(home, "gpg-agent.conf"), "w", encoding="ascii") as f:
        f.write("allow-loopback-pinentry\n")
    if trusted:
        with open(os.path.join(home, "gpg.conf"), "w", encoding="ascii") as f:
            f.write(f"trusted-key {trusted}\n")
    subprocess.run(["gpg", "--homedir", home, "--batch", "--import", keys], check=True, capture_output=True)
    return home


def export_secret_key(from_home, email_address):
    """A new GnuPG home holding only @email_address's key pair."""
    armor = subprocess.run(["gpg", "--homedir", from_home, "--batch", "--pinentry-mode", "loopback",
                            "--passphrase", "", "--armor", "--export-secret-keys", f"<{email_address}>"],
                           check=True, capture_output=True).stdout
    home = tempfile.mkdtemp(prefix="sg.", dir="/tmp")
    os.chmod(home, 0o700)
    subprocess.run(["gpg", "--homedir", home, "--batch", "--import"], input=armor, check=True, capture_output=True)
    return home


def remove_gnupghome(home):
    subprocess.run(["gpgconf", "--homedir", home, "--kill", "all"], check=False)
    shutil.rmtree(home, ignore_errors=True)


def parse_message(path):
    with open(path, "rb") as f:
        return email.message_from_binary_file(f, policy=email.policy.default)


def pgp_armor(text):
    start = text.index("-----BEGIN PGP MESSAGE-----")
    end = text.index("-----END PGP MESSAGE-----") + len("-----END PGP MESSAGE-----")
    return text[start:end]


def gpg_decrypt(home, path):
    """(raw message text, what gpg decrypts, gpg --list-packets) of a sealed message file."""
    with open(path, encoding="utf-8", errors="replace") as f:
        raw = f.read()
    armor = pgp_armor(raw)
    plain = subprocess.run(["gpg", "--homedir", home, "--batch", "--decrypt"], input=armor,
                           capture_output=True, text=True, check=True).stdout
    packets = subprocess.run(["gpg", "--homedir", home, "--batch", "--list-packets"], input=armor,
                             capture_output=True, text=True).stdout
    return raw, plain, packets


def secret_forms(secret):
    """The byte strings that would give @secret away in a file: as it is, and
    as SASL PLAIN and LOGIN would put it on the wire (Base64)."""
    raw = secret.encode("utf-8")
    forms = {raw, base64.b64encode(raw)}
    for user in (b"demo", b"demo@example.org"):
        forms.add(base64.b64encode(b"\0" + user + b"\0" + raw))
    return forms


def files_containing(roots, secrets):
    """Files below @roots whose bytes contain any of @secrets (bytes); and
    how many files were read."""
    found, n = [], 0
    for root in roots:
        for d, _dirs, files in os.walk(root):
            for name in files:
                path = os.path.join(d, name)
                if os.path.islink(path) or not os.path.isfile(path):
                    continue
                with open(path, "rb") as f:
                    data = f.read()
                n += 1
                if any(s in data for s in secrets):
                    found.append(path)
    return found, n


DEMO_IDENTITY = "Signet Demo <demo@example.org>"


def configure_account(settings, servers, keyring):
    """Signet's account for the mail servers, as a user sets it up: the
    identity, Postfix (STARTTLS) and Dovecot (TLS) as the demo user, their
    certificate trusted, the password stored with secret-tool."""
    env = servers.env
    host, smtp_port, imap_port, pin = env["HOST"], env["SMTP_PORT"], env["IMAPS_PORT"], env["SERVER_PIN"]
    settings.set("identity", DEMO_IDENTITY)
    settings.set("smtp-host", host)
    settings.set("smtp-port", int(smtp_port))
    settings.set("smtp-security", "starttls")
    settings.set("smtp-user", "demo")
    settings.set("imap-host", host)
    settings.set("imap-port", int(imap_port))
    settings.set("imap-security", "tls")
    settings.set("imap-user", "demo")
    settings.set("trusted-certificates", [f"{host}:{smtp_port}={pin}", f"{host}:{imap_port}={pin}"])
    password = servers.password("demo")
    keyring.store(password, "Signet test: SMTP", protocol="smtp", server=host, port=smtp_port, user="demo")
    keyring.store(password, "Signet test: IMAP", protocol="imap", server=host, port=imap_port, user="demo")
