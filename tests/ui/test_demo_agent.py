#!/usr/bin/python3
"""Nothing of the demo outlives Signet: a gpg on the demo keyring that is
still running when Signet quits (GPGME starts gpg through a second fork, so
it is no child of Signet) may start the agent after Signet stopped it.
Signet waits for it and stops the agent again: after it exits, no gpg-agent
runs on the demo keyring."""

import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from signet_atspi import App, wait_for  # noqa: E402

OWN = "demo@example.org"


def gpg(home, *args, **kwargs):
    return subprocess.run(["gpg", "--homedir", home, "--batch", "--no-tty", *args], check=True,
                          capture_output=True, **kwargs)


def main():
    binary, schema_dir = sys.argv[1], sys.argv[2]
    app = App(binary, "--demo", schema_dir=schema_dir)
    late = None
    try:
        app.wait_find("frame", "New Message")
        home = os.path.join(app.data_dir, "demo-gnupg")
        sealed = gpg(home, "--trust-model", "always", "--armor", "--encrypt", "-r", OWN,
                     input=b"for the demo key only\n").stdout
        # Signet itself may start the agent again as it starts up (it asks
        # whether the sender can sign): stopped until none is left.
        def stopped():
            subprocess.run(["gpgconf", "--homedir", home, "--kill", "all"], check=True)
            return not App._agents(home)
        wait_for(stopped, "no demo gpg-agent before the test", 10)

        # Waits for its input, then needs the agent (it starts one) to decrypt.
        late = subprocess.Popen(["gpg", "--homedir", home, "--batch", "--no-tty", "--decrypt"],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        app.proc.send_signal(signal.SIGTERM)
        time.sleep(1.0)
        out, _ = late.communicate(sealed, timeout=30)
        assert out == b"for the demo key only\n", out
        late = None
        assert app.proc.wait(timeout=30) == 0
        try:
            wait_for(lambda: not App._agents(home), "the demo gpg-agent to exit", 5)
        except AssertionError:
            raise AssertionError(f"gpg-agent left running: {App._agents(home)}") from None
        print("ok 1 - a gpg on the demo keyring running as Signet quits: its agent is stopped too")
    finally:
        if late is not None:
            late.kill()
        app.close()


if __name__ == "__main__":
    main()
