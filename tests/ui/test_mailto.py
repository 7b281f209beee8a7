#!/usr/bin/python3
"""mailto: links and the scripting options, through the real binary.

The first invocation opens a composer prefilled from the link; later
invocations reach the same instance (single-instance GApplication) and open a
window each; a hostile link is refused with a message and opens nothing."""

import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from signet_atspi import recipients_text, App, text_of, wait_for, walk  # noqa: E402


def frames(app):
    # Composers only are open here; each is titled by its subject.
    return app.toplevels("frame")


def field(frame, name):
    for node in walk(frame):
        if node.get_role_name() == "text" and node.get_name() == name:
            return recipients_text(node) if name in ("To", "Cc", "Bcc") else text_of(node)
    return None


def main():
    binary, schema_dir = sys.argv[1], sys.argv[2]
    link = "mailto:bob@example.org?subject=Hi%20there&cc=carol@example.org&body=Line%201%0D%0ALine%202&attach=/etc/passwd"
    app = App(binary, "--demo", link, schema_dir=schema_dir)
    try:
        [first] = wait_for(lambda: frames(app), "the first composer")
        wait_for(lambda: field(first, "To") == "bob@example.org", "To from the link")
        assert field(first, "Cc") == "carol@example.org"
        assert field(first, "Subject") == "Hi there"
        assert field(first, "Message body") == "Line 1\nLine 2"
        assert not any(n.get_name() == "passwd" for n in walk(first)), "attach= must be ignored"
        print("ok 1 - a mailto: link opens a prefilled composer; attach= is ignored")

        second = subprocess.run([binary, "--demo", "mailto:alice@example.org?subject=Second"],
                                env=app.env, capture_output=True, text=True, timeout=30)
        assert second.returncode == 0, second.stderr
        wait_for(lambda: len(frames(app)) == 2, "a second composer in the same instance")
        assert any(field(f, "To") == "alice@example.org" and field(f, "Subject") == "Second" for f in frames(app))
        print("ok 2 - a second link opens a second window in the running instance")

        hostile = subprocess.run([binary, "--demo", "mailto:bob@example.org?subject=x%0D%0ABcc:eve@example.org"],
                                 env=app.env, capture_output=True, text=True, timeout=30)
        assert hostile.returncode == 1, hostile
        assert "The link’s subject contains line breaks or control characters." in hostile.stderr, hostile.stderr
        app.wait_find("dialog", "Cannot Open Mail Link")
        assert len(frames(app)) == 2
        print("ok 3 - a link with CR/LF in a header is refused with a message")

        path = os.path.join(app.tmp, "report.txt")
        with open(path, "w") as f:
            f.write("quarterly\n")
        scripted = subprocess.run([binary, "--demo", "--to", "Alice Demo <alice@example.org>", "--subject", "Report",
                                   "--attach", path], env=app.env, capture_output=True, text=True, timeout=30)
        assert scripted.returncode == 0, scripted.stderr
        wait_for(lambda: len(frames(app)) == 3, "a third composer")
        wait_for(lambda: any(n.get_name() == "report.txt" for f in frames(app) for n in walk(f)), "the attachment row")
        assert any(field(f, "To") == "Alice Demo <alice@example.org>" and field(f, "Subject") == "Report" for f in frames(app))
        print("ok 4 - --to, --subject and --attach prefill a composer")
    finally:
        app.close()


if __name__ == "__main__":
    main()
