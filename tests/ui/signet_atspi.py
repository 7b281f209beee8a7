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


def type_into(app, entry_name, text):
    entry = app.wait_find("text", entry_name)
    try:
        Atspi.EditableText.set_text_contents(entry, text)
    except Exception:
        Atspi.Component.grab_focus(entry)
        subprocess.run(["xdotool", "type", "--delay", "5", text], check=True)
    wait_for(lambda: text_of(entry) == text, f"{entry_name} to read {text!r}")


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
