#!/usr/bin/python3
"""Signet installed as a Flatpak, for real: built with flatpak-builder from
the project's manifest (runtime swapped for one made from this system),
installed with `flatpak --user`, and run in its sandbox under Xvfb.

usage: test_flatpak.py SOURCE_DIR   (inside dbus-run-session and xvfb-run)"""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "ui"))
from signet_atspi import KB_HEADING, App, Atspi, click, type_into, wait_for  # noqa: E402

APP_ID = "io.github.signetmail.Signet"
CACHE = os.environ.get("SIGNET_FLATPAK_CACHE", "/var/cache/signet-flatpak")
os.environ["FLATPAK_USER_DIR"] = os.path.join(CACHE, "user")


def build_and_install(source):
    start = time.monotonic()
    subprocess.run([os.path.join(source, "build-aux", "flatpak-local-runtime.sh")], check=True)
    manifest = os.path.join(CACHE, APP_ID + ".json")
    subprocess.run([os.path.join(source, "build-aux", "flatpak-test-manifest.py"),
                    os.path.join(source, "flatpak", APP_ID + ".json"), manifest], check=True)
    subprocess.run(["flatpak-builder", "--user", "--install", "--force-clean", "--disable-rofiles-fuse",
                    "--disable-updates", "--state-dir", os.path.join(CACHE, "state"),
                    os.path.join(CACHE, "build"), manifest], check=True, stdout=subprocess.DEVNULL)
    info = subprocess.run(["flatpak", "--user", "info", APP_ID], capture_output=True, text=True, check=True).stdout
    assert "org.signet.LocalPlatform" in info, info
    return time.monotonic() - start


def descendants(pid):
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                children.setdefault(int(fields[1]), []).append(int(entry))
            except OSError:
                continue
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


class FlatpakApp(App):
    def terminate(self):
        # `flatpak run` itself dies of SIGTERM; the app in the sandbox must
        # get it, to shut down as a session would end it.
        apps = []
        for pid in descendants(self.proc.pid):
            try:
                with open(f"/proc/{pid}/comm") as f:
                    if f.read().strip() == "signet":
                        apps.append(pid)
            except OSError:
                continue
        for pid in apps:
            os.kill(pid, signal.SIGTERM)
        if not apps:
            self.proc.terminate()


def flatpak_app(home, *args):
    """signet --demo in its sandbox; HOME (and so ~/.var/app) is private to the test."""
    return FlatpakApp("flatpak", "run", "--env=GDK_DEBUG=gl-disable", "--env=GSK_RENDERER=cairo", *args,
                      APP_ID, "--demo", schema_dir=None, tmp=home, extra_env={"HOME": home})


def app_data(home):
    return os.path.join(home, ".var", "app", APP_ID, "data", "signet")


def sealed_send(home):
    app = flatpak_app(home)
    try:
        app.wait_find("frame", "New Message")
        type_into(app, "To", "alice@example.org")
        type_into(app, "Message body", "Sealed inside the sandbox.")
        app.seal_on()
        click(app.wait_find("push button", "Send"))
        sent = os.path.join(app_data(home), "Mail", "Sent")
        files = wait_for(lambda: [os.path.join(d, f) for d, _, fs in os.walk(sent) for f in fs], "a message in Sent", 60)
        assert app.proc.wait(timeout=30) == 0
    finally:
        app.close(remove=False)
    with open(files[0], encoding="utf-8") as f:
        raw = f.read()
    assert "Sealed inside the sandbox." not in raw
    armor = raw[raw.index("-----BEGIN PGP MESSAGE-----"):raw.index("-----END PGP MESSAGE-----") + 25]
    gnupg = os.path.join(app_data(home), "demo-gnupg")
    plain = subprocess.run(["gpg", "--homedir", gnupg, "--batch", "--decrypt"], input=armor,
                           capture_output=True, text=True, check=True).stdout
    subprocess.run(["gpgconf", "--homedir", gnupg, "--kill", "all"], check=False)
    assert "Sealed inside the sandbox." in plain


def offline_dialog(home):
    app = flatpak_app(home, "--unshare=network")
    try:
        app.wait_find("label", contains="You are offline")
        type_into(app, "To", "alice@example.org")
        app.seal_on()
        click(app.wait_find("push button", "Send"))
        app.wait_find("dialog", KB_HEADING)
    finally:
        app.close(remove=False)


def spelling(home):
    """The runtime's enchant and dictionaries, from inside the sandbox."""
    app = flatpak_app(home)
    try:
        type_into(app, "Message body", "Please recieve this")
        body = app.wait_find("text", "Message body")
        wait_for(lambda: Atspi.Text.get_attribute_run(body, 9, False)[0].get("underline") == "error",
                 "'recieve' to be underlined in the sandbox")
        assert Atspi.Text.get_attribute_run(body, 2, False)[0].get("underline", "none") == "none"
    finally:
        app.close(remove=False)


def enough_disk():
    """The local runtime takes about 2.5 GB once built; building it needs more."""
    if os.path.exists(os.path.join(CACHE, "user", "runtime", "org.signet.LocalPlatform")):
        return True
    probe = CACHE
    while not os.path.exists(probe):
        probe = os.path.dirname(probe)
    st = os.statvfs(probe)
    return st.f_bavail * st.f_frsize >= 6 * 1024**3


def main():
    source = sys.argv[1]
    if not enough_disk():
        # meson counts exit status 77 as skipped, and the test command says so.
        print(f"1..0 # SKIP less than 6 GiB free under {CACHE} for the local Flatpak runtime")
        sys.exit(77)
    seconds = build_and_install(source)
    print(f"ok 1 - built with flatpak-builder and installed with flatpak --user ({seconds:.0f} s)")
    home = tempfile.mkdtemp(prefix="sgf.")
    try:
        app = flatpak_app(home)
        try:
            app.wait_find("frame", "New Message")
            app.wait_find("text", "From")
        finally:
            app.close(remove=False)
        print("ok 2 - flatpak run shows the compose window")
        sealed_send(home)
        print("ok 3 - a message sealed in the sandbox is in the app's data dir, and gpg decrypts it")
        offline_dialog(home)
        print("ok 4 - with --unshare=network the sandbox is offline and shows the KB dialog")
        spelling(home)
        print("ok 5 - spell checking underlines a misspelt word in the sandbox")
    finally:
        shutil.rmtree(home, ignore_errors=True)
    print("1..5")


if __name__ == "__main__":
    main()
