#!/usr/bin/python3
"""The real binary with --demo over a demo home an earlier run left
damaged or tampered with (no stamp, a truncated keybox, the directory open
to others, and private-keys-v1.d a symbolic link to a directory elsewhere):
the demo's secret keys are written into the demo home only, the home is
the owner's alone, and a message asked to be signed goes out signed by the
demo sender."""

import os
import stat
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from signet_atspi import App, Settings  # noqa: E402
from test_sign import check_signed, demo_fingerprint, fill, network_up, send_and_wait, sign_button_on  # noqa: E402

N_DEMO_SECRET_KEYS = 12


def main():
    binary, schema_dir = sys.argv[1], sys.argv[2]
    network_up()
    tmp = tempfile.mkdtemp(prefix="sgu.")
    home = os.path.join(tmp, "data", "signet", "demo-gnupg")
    elsewhere = os.path.join(tmp, "elsewhere")
    os.makedirs(home)
    os.makedirs(elsewhere)
    os.chmod(home, 0o755)
    os.symlink(elsewhere, os.path.join(home, "private-keys-v1.d"))
    with open(os.path.join(home, "pubring.kbx"), "wb") as f:
        f.write(b"\0\0\0\x20\x01\x01")
    print("1..3")
    settings = Settings(tmp, schema_dir)
    settings.set("sign-by-default", True)
    app = App(binary, "--demo", schema_dir=schema_dir, tmp=tmp, extra_env=settings.app_env())
    try:
        app.wait_find("frame", "New Message")
        private = os.path.join(home, "private-keys-v1.d")
        assert os.listdir(elsewhere) == [], os.listdir(elsewhere)
        assert stat.S_ISDIR(os.lstat(private).st_mode), "private-keys-v1.d is still a link"
        assert len(os.listdir(private)) == N_DEMO_SECRET_KEYS, os.listdir(private)
        print("ok 1 the demo's secret keys are in the demo home, none through the link")
        for path in (home, private):
            mode = stat.S_IMODE(os.stat(path).st_mode)
            assert mode == 0o700, (path, oct(mode))
        print("ok 2 the demo home and its key directory are the owner's alone")
        sign_button_on(app)
        fill(app, "alice@example.org", "Signed only", "Signed by the demo.\n")
        path = send_and_wait(app, "alice@example.org")
        check_signed(path, home, demo_fingerprint(home), tmp)
        assert os.listdir(elsewhere) == [], os.listdir(elsewhere)
        print("ok 3 a message asked to be signed is delivered signed by the demo sender")
    finally:
        app.close()


if __name__ == "__main__":
    main()
