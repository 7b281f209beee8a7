#!/usr/bin/python3
"""The directory's suggestions under attack, in the real binary, through
AT-SPI, against a real OpenLDAP slapd on loopback
(tests/servers/directoryservers.py) holding hostile people:

- an entry whose "mail" is two addresses, and one whose "mail" is an
  address, a line break and another, are not suggested: picking them would
  have put a second, unseen recipient into one pill;
- a name with a right-to-left override is shown without it, so the
  address after it reads as it is."""

import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "servers"))
from signet_atspi import App, Settings, walk, wait_for  # noqa: E402

import directoryservers  # noqa: E402
from test_recipients import keys, network_up, pills  # noqa: E402

RLO = "\u202e"


def add_hostile_people(env):
    def b64(text):
        import base64
        return base64.b64encode(text.encode()).decode()

    people = env["LDAP_PEOPLE"]
    ldif = (f"dn: uid=smuggle.one,{people}\nobjectClass: inetOrgPerson\nuid: smuggle.one\n"
            "cn: Smuggle One\nsn: One\nmail: smuggle.one@example.org, mallory@evil.example\n\n"
            f"dn: uid=smuggle.two,{people}\nobjectClass: inetOrgPerson\nuid: smuggle.two\n"
            f"cn: Smuggle Two\nsn: Two\nmail:: {b64('smuggle.two@example.org' + chr(10) + 'mallory@evil.example')}\n\n"
            f"dn: uid=smuggle.three,{people}\nobjectClass: inetOrgPerson\nuid: smuggle.three\n"
            f"cn:: {b64('Smuggle Three ' + RLO + 'gro.elpmaxe@lihc')}\nsn: Three\nmail: smuggle.three@example.org\n\n")
    subprocess.run(["ldapmodify", "-a", "-x", "-H", env["LDAP_URL"], "-D", env["LDAP_ADMIN_DN"],
                    "-y", env["LDAP_ADMIN_PASSWORD_FILE"]], input=ldif.encode(), check=True, capture_output=True)


def suggestions(app):
    listing = app.find("list", "Suggested addresses") or app.find("list box", "Suggested addresses")
    if listing is None:
        return []
    names = []
    for node in walk(listing):
        try:
            if node != listing and node.get_name():
                names.append(node.get_name())
        except Exception:
            continue
    return names


def main():
    binary, schema_dir = sys.argv[1], sys.argv[2]
    network_up()
    tmp = tempfile.mkdtemp(prefix="sgh.")
    servers_dir = os.path.join(tmp, "servers")
    try:
        servers = directoryservers.start(servers_dir)
    except directoryservers.Unavailable as e:
        print(f"1..0 # SKIP {e}")
        sys.exit(77)
    env = servers.env
    print("1..2")
    try:
        add_hostile_people(env)
        settings = Settings(tmp, schema_dir)
        settings.set("directory-servers", [env["LDAP_URL"]])
        app = App(binary, "--demo", schema_dir=schema_dir, tmp=tmp, extra_env={"GSETTINGS_BACKEND": "keyfile"})
        try:
            app.wait_find("frame", "New Message")
            to = app.wait_find("text", "To")
            subprocess.run(["xdotool", "mousemove", "200", "200"], check=True)
            keys("alt+t")
            subprocess.run(["xdotool", "type", "--delay", "30", "Smug"], check=True)
            shown = wait_for(lambda: [n for n in suggestions(app) if "smuggle.three@example.org" in n],
                             "the suggestions for 'Smug'")
            everything = suggestions(app)
            assert not [n for n in everything if "mallory" in n], everything
            assert not [n for n in everything if RLO in n], everything
            print("ok 1 - entries whose mail is not one address are not suggested; names show without reordering marks")
            keys("Down", "Up", "Return")
            wait_for(lambda: any("smuggle.three@example.org" in name for name, _ in pills(to)),
                     f"a pill from the suggestion {shown[0]!r}")
            assert not [name for name, _ in pills(to) if "mallory" in name or RLO in name], pills(to)
            print("ok 2 - the suggestion picked makes one pill for one address")
        finally:
            app.close(remove=False)
    finally:
        directoryservers.stop(servers_dir)
        subprocess.run(["rm", "-rf", tmp], check=False)


if __name__ == "__main__":
    main()
