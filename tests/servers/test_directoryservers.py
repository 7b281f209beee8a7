#!/usr/bin/python3
"""Proves the directory server fixture with clients that are not Signet's:
ldapsearch finds people by name and address prefix, page by page; gpg and
GPGME (its Python binding), through dirmngr and nothing but each home's
dirmngr.conf, find keys in LDAP and on sks, see revocations published to
either, fail at once while slapd is down (sks still answering) and wait
while it hangs; an HKP server once unreachable stays shunned by dirmngr
until it is reloaded; after stop() nothing of it runs and its ports are
closed. TAP output; exit 77 (skip) without the server packages."""

import base64
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # nothing written into the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import directoryservers  # noqa: E402

try:
    import gpg as gpgme  # GPGME's own Python binding, the library Signet uses
except ImportError:
    gpgme = None

results = []


def check(name, ok, detail=""):
    results.append(ok)
    print(f"{'ok' if ok else 'not ok'} {len(results)} - {name}")
    if not ok and detail:
        for line in str(detail).splitlines():
            print(f"# {line}")


def skip_check(name, reason):
    results.append(True)
    print(f"ok {len(results)} - {name} # SKIP {reason}")


def run(argv, stdin=None):
    return subprocess.run(argv, input=stdin, capture_output=True, text=True, timeout=60)


def gpg(home, *args, stdin=None):
    return run(["gpg", "--homedir", home, "--batch", "--no-tty", "--status-fd", "1", *args], stdin)


def ldapsearch(env, *args):
    return run(["ldapsearch", "-x", "-H", env["LDAP_URL"], "-b", env["LDAP_PEOPLE"], "-LLL", *args])


def ldap_values(output, attribute):
    """The values of attribute in ldapsearch -LLL output, base64 decoded."""
    values = []
    for line in output.replace("\n ", "").splitlines():
        if line.startswith(attribute + ":: "):
            values.append(base64.b64decode(line[len(attribute) + 3:]).decode())
        elif line.startswith(attribute + ": "):
            values.append(line[len(attribute) + 2:])
    return values


def key_state(home, fpr):
    """'valid', 'revoked' or 'missing', from gpg's validity field."""
    r = run(["gpg", "--homedir", home, "--batch", "--with-colons", "--list-keys", fpr])
    for line in r.stdout.splitlines():
        if line.startswith("pub:"):
            return "revoked" if line.split(":")[1] == "r" else "valid"
    return "missing"


def test_people(env):
    r = ldapsearch(env, "(cn=Al*)", "cn")
    names = sorted(ldap_values(r.stdout, "cn"))
    check("ldapsearch finds the six people whose name starts with 'Al' (a non-ASCII one too)",
          r.returncode == 0 and names == ["Alan Turing", "Albert Einstein", "Alexandra David-Néel",
                                          "Alfred Wegener", "Ali Hassan", "Alice Liddell"], r.stderr + str(names))
    r = ldapsearch(env, "(mail=mar*)", "mail")
    mails = sorted(ldap_values(r.stdout, "mail"))
    check("ldapsearch finds the five people whose address starts with 'mar'",
          mails == [f"{u}@example.org" for u in ("marie", "mario", "marta", "martin", "mary")],
          r.stderr + str(mails))
    r = ldapsearch(env, "(|(cn=Émi*)(givenName=Zoë))", "mail")
    check("a name prefix with an accent matches",
          sorted(ldap_values(r.stdout, "mail")) == ["emilie@example.org", "zoe@example.org"], r.stdout + r.stderr)
    r = run(["ldapsearch", "-x", "-H", env["LDAP_URL"], "-b", env["LDAP_PEOPLE"], "-E", "pr=10/noprompt",
             "(objectClass=inetOrgPerson)", "mail"])
    mails = ldap_values(r.stdout, "mail")
    # Each page ends with the cookie of the next; the last one's is empty.
    pages = [len(ldap_values(page, "mail")) for page in re.split(r"^pagedresults: cookie=.*$", r.stdout,
                                                                flags=re.M)[:-1]]
    people = len(directoryservers.PEOPLE)
    check(f"paged results: all {people} people, in pages of 10",
          r.returncode == 0 and people > 30 and len(set(mails)) == people
          and pages == [10] * (people // 10) + [people % 10], f"{len(mails)} addresses, pages {pages}\n{r.stderr}")
    r = run(["ldapsearch", "-x", "-H", env["LDAP_URL"], "-b", env["LDAP_PEOPLE"], "-z", "10",
             "(objectClass=inetOrgPerson)", "mail"])
    check("without paging, a client's size limit of 10 cuts the answer short (exit 4)",
          r.returncode == 4 and len(ldap_values(r.stdout, "mail")) == 10, r.stdout[-300:] + r.stderr)


def timed(fn, *args, **kwargs):
    t0 = time.monotonic()
    result = fn(*args, **kwargs)
    return result, time.monotonic() - t0


def test_ldap_keys(servers, work):
    env = servers.env
    home = servers.client_home(os.path.join(work, "h-ldap"), "ldap")
    r, seconds = timed(gpg, home, "--auto-key-locate", "clear,keyserver", "--locate-keys", "dora@example.org")
    print(f"# locate in LDAP: {seconds:.2f} s (dirmngr started for it)")
    check("gpg --locate-keys finds dora's key in LDAP (the home's dirmngr.conf names it)",
          r.returncode == 0 and f"IMPORT_OK 1 {env['DORA_FPR']}" in r.stdout
          and key_state(home, env["DORA_FPR"]) == "valid", r.stdout + r.stderr)
    r = gpg(home, "--trust-model", "always", "--armor", "--encrypt", "-r", "dora@example.org",
            stdin="for Dora only\n")
    plain = gpg(env["KEYS_HOME"], "--decrypt", stdin=r.stdout) if r.returncode == 0 else r
    check("a message encrypted to it opens with dora's secret key",
          r.returncode == 0 and plain.returncode == 0 and "for Dora only" in plain.stdout, r.stderr + plain.stderr)
    r, seconds = timed(gpg, home, "--recv-keys", env["ALICE_FPR"])
    print(f"# receive from LDAP by fingerprint: {seconds:.2f} s")
    check("gpg --recv-keys FPR fetches alice's key from LDAP",
          r.returncode == 0 and key_state(home, env["ALICE_FPR"]) == "valid", r.stdout + r.stderr)
    r = gpg(home, "--recv-keys", env["FRANK_FPR"])
    check("frank's key is not in LDAP (FAILURE, 'No data')",
          r.returncode != 0 and "No data" in r.stderr and key_state(home, env["FRANK_FPR"]) == "missing",
          r.stdout + r.stderr)

    hkp = servers.client_home(os.path.join(work, "h-hkp"), "hkp")
    r = gpg(hkp, "--recv-keys", env["DORA_FPR"])
    check("dora's key is on no keyserver, only in LDAP", r.returncode != 0, r.stdout + r.stderr)
    r = gpg(hkp, "--recv-keys", env["FRANK_FPR"])
    check("gpg --recv-keys FPR fetches frank's key from sks",
          r.returncode == 0 and key_state(hkp, env["FRANK_FPR"]) == "valid", r.stdout + r.stderr)

    both = servers.client_home(os.path.join(work, "h-both"), "both")
    ok = all(gpg(both, "--recv-keys", env[f"{u}_FPR"]).returncode == 0 for u in ("DORA", "FRANK"))
    check("a home naming both finds dora's key in LDAP and frank's on sks",
          ok and key_state(both, env["FRANK_FPR"]) == "valid" and key_state(both, env["DORA_FPR"]) == "valid")

    r = run(["ldapsearch", "-x", "-H", env["LDAP_URL"], "-b", env["LDAP_BASE"], "-LLL",
             "(cn=pgpServerInfo)", "pgpSoftware", "pgpVersion"])
    check("cn=pgpServerInfo announces GnuPG's schema, version 2",
          "pgpSoftware: GnuPG" in r.stdout and "pgpVersion: 2" in r.stdout, r.stdout + r.stderr)


GPG_ERR_GENERAL = 1
GPG_ERR_NO_DATA = 58


def gpgme_receive(home, fpr):
    """GPGME's receive_keys into home: (keys considered, the error code of
    gpg's FAILURE status or 0). GPGME 1.18 itself returns success even when
    dirmngr failed; only the status lines, with the "full-status" flag, say
    why nothing came."""
    ctx = gpgme.Context(home_dir=home)
    ctx.set_ctx_flag("full-status", "1")
    failures = []
    ctx.set_status_cb(lambda keyword, args: failures.append(int(args.split()[1]))
                      if keyword == "FAILURE" and args.startswith("recv-keys ") else None)
    ctx.op_receive_keys([fpr])
    return ctx.op_import_result().considered, (failures[0] & 0xffff) if failures else 0


def test_gpgme(servers, work):
    env = servers.env
    if gpgme is None:
        skip_check("GPGME locates dora's key in LDAP", "python3-gpg is missing")
        skip_check("GPGME receives frank's key from sks", "python3-gpg is missing")
        return
    home = servers.client_home(os.path.join(work, "h-gpgme"), "both")
    ctx = gpgme.Context(home_dir=home)
    ctx.set_ctx_flag("auto-key-locate", "clear,keyserver")
    keys = list(ctx.keylist("dora@example.org", mode=gpgme.constants.keylist.mode.LOCATE))
    check("GPGME (LOCATE, auto-key-locate keyserver) finds dora's key in LDAP",
          [k.fpr for k in keys] == [env["DORA_FPR"]], keys)
    ctx.op_receive_keys([env["FRANK_FPR"]])
    result = ctx.op_import_result()
    check("GPGME's receive_keys imports frank's key from sks",
          result.imported == 1 and result.imports[0].fpr == env["FRANK_FPR"], result)
    considered, code = gpgme_receive(os.path.join(work, "h-ldap"), env["FRANK_FPR"])
    check("a key LDAP does not hold: nothing considered, FAILURE recv-keys 'No data' (full-status)",
          considered == 0 and code == GPG_ERR_NO_DATA, (considered, code))


def test_revocations(servers, work):
    env = servers.env
    hkp = servers.client_home(os.path.join(work, "h-revoke-sks"), "hkp", ["grace"])
    gpgme_home = servers.client_home(os.path.join(work, "h-revoke-gpgme"), "hkp", ["grace"])
    check("grace's key is valid in the client homes at first",
          key_state(hkp, env["GRACE_FPR"]) == key_state(gpgme_home, env["GRACE_FPR"]) == "valid")
    servers.revoke_on_sks("grace")
    r, seconds = timed(gpg, hkp, "--refresh-keys")
    print(f"# refresh from sks: {seconds:.2f} s")
    check("after its revocation is sent to sks, gpg --refresh-keys shows grace's key revoked",
          r.returncode == 0 and "revocation certificate added" in r.stderr
          and key_state(hkp, env["GRACE_FPR"]) == "revoked", r.stdout + r.stderr)
    if gpgme is None:
        skip_check("GPGME's receive_keys brings the revocation", "python3-gpg is missing")
    else:
        ctx = gpgme.Context(home_dir=gpgme_home)
        ctx.op_receive_keys([env["GRACE_FPR"]])
        key = ctx.get_key(env["GRACE_FPR"])
        # gpg 2.2 counts a revocation merged into a known key as a new
        # signature, not in new_revocations.
        check("GPGME's receive_keys brings the revocation (key.revoked)",
              key.revoked == 1 and ctx.op_import_result().new_signatures == 1, ctx.op_import_result())

    ldap = servers.client_home(os.path.join(work, "h-revoke-ldap"), "ldap", ["erin"])
    servers.revoke_in_ldap("erin")
    r = gpg(ldap, "--recv-keys", env["ERIN_FPR"])
    check("after its revocation is published in LDAP, gpg --recv-keys shows erin's key revoked",
          r.returncode == 0 and key_state(ldap, env["ERIN_FPR"]) == "revoked", r.stdout + r.stderr)
    servers.publish_in_ldap("grace")
    r = gpg(ldap, "--recv-keys", env["GRACE_FPR"])
    check("a key published in LDAP later (grace's, revoked) is found there",
          r.returncode == 0 and key_state(ldap, env["GRACE_FPR"]) == "revoked", r.stdout + r.stderr)


def port_closed(port):
    try:
        socket.create_connection(("127.0.0.1", int(port)), timeout=1).close()
        return False
    except OSError:
        return True


def test_ldap_down(servers, work):
    env = servers.env
    ldap = os.path.join(work, "h-ldap")
    both = os.path.join(work, "h-both")
    servers.stop_ldap()
    check("with slapd stopped its port refuses, sks's does not",
          port_closed(env["LDAP_PORT"]) and not port_closed(env["HKP_PORT"]))
    r, seconds = timed(gpg, ldap, "--recv-keys", env["DORA_FPR"])
    print(f"# refused LDAP lookup: {seconds:.2f} s; {r.stdout.strip()}")
    # dirmngr answers a refused LDAP connection with GPG_ERR_GENERAL (1)
    # from source dirmngr (10): FAILURE recv-keys 167772161.
    check("a lookup in LDAP then fails at once (FAILURE status, under 5 s)",
          r.returncode != 0 and "[GNUPG:] FAILURE recv-keys" in r.stdout and seconds < 5, r.stdout + r.stderr)
    if gpgme is None:
        skip_check("GPGME's receive_keys tells the refused connection from a missing key", "python3-gpg is missing")
    else:
        considered, code = gpgme_receive(ldap, env["DORA_FPR"])
        check("GPGME's receive_keys: nothing considered, FAILURE recv-keys 'General error', not 'No data'",
              considered == 0 and code == GPG_ERR_GENERAL, (considered, code))
    r = gpg(ldap, "--auto-key-locate", "clear,keyserver", "--locate-keys", "erin@example.org")
    check("and so does --locate-keys", r.returncode != 0 and "via keyserver" in r.stderr, r.stdout + r.stderr)
    r = gpg(both, "--recv-keys", env["GRACE_FPR"])
    check("sks still answers (a home naming both gets grace's key past the dead LDAP)",
          r.returncode == 0 and key_state(both, env["GRACE_FPR"]) == "revoked", r.stdout + r.stderr)
    servers.start_ldap()
    r = gpg(ldap, "--recv-keys", env["DORA_FPR"])
    check("slapd started again: the same home's dirmngr finds keys in LDAP again, no reload",
          r.returncode == 0 and "IMPORT_OK" in r.stdout, r.stdout + r.stderr)


def test_command_line(work):
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "directoryservers.py")
    directory = os.path.join(work, "cli")
    try:
        # With a daemon holding the pipe open this would wait for the timeout.
        r = subprocess.run(["/usr/bin/python3", script, "start", directory], capture_output=True,
                           text=True, timeout=30)
    except subprocess.TimeoutExpired as e:
        r = e
    out = getattr(r, "stdout", "") or ""
    env = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    with open(os.path.join(directory, "env"), encoding="utf-8") as f:
        written = f.read()
    check("the command starts both, prints KEY=VALUE lines (as in DIR/env) and returns at once",
          getattr(r, "returncode", None) == 0 and out == written and "HKP_PORT" in env,
          out + str(getattr(r, "stderr", "")))
    home = os.path.join(work, "h-cli")
    made = subprocess.run(["/usr/bin/python3", script, "client-home", directory, home, "ldap", "dora"],
                          capture_output=True, text=True, timeout=30)
    r = gpg(home, "--recv-keys", env.get("ALICE_FPR", "-"))
    check("client-home makes a home that finds keys in that instance's LDAP",
          made.returncode == 0 and made.stdout.strip() == home and r.returncode == 0
          and key_state(home, env.get("DORA_FPR", "-")) == "valid", made.stderr + r.stdout + r.stderr)
    r = subprocess.run(["/usr/bin/python3", script, "stop", directory], capture_output=True, text=True, timeout=30)
    left = directoryservers._processes_of(directory) + directoryservers._processes_of(home)
    check("stop ends it, the home's dirmngr and gpg-agent too",
          r.returncode == 0 and not left and all(port_closed(env.get(k, "1")) for k in ("LDAP_PORT", "HKP_PORT")),
          r.stderr + str(left))


def test_ldap_paused(servers, work):
    env = servers.env
    ldap = os.path.join(work, "h-ldap")
    servers.pause("ldap")
    lookup = subprocess.Popen(["gpg", "--homedir", ldap, "--batch", "--no-tty", "--recv-keys", env["DORA_FPR"]],
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        lookup.wait(timeout=2)
    except subprocess.TimeoutExpired:
        pass
    # dirmngr 2.2 waits for an LDAP server that accepted the connection
    # without end ("ldaptimeout" does not cut it short): a client must.
    check("a paused slapd takes the connection and never answers: gpg is still waiting after 2 s",
          lookup.poll() is None, lookup.returncode)
    lookup.kill()
    lookup.wait()
    servers.resume("ldap")
    r, seconds = timed(gpg, ldap, "--recv-keys", env["DORA_FPR"])
    check("resumed, it answers the same home's dirmngr again",
          r.returncode == 0 and "IMPORT_OK" in r.stdout and seconds < 10, r.stdout + r.stderr)


GPG_ERR_NO_KEYSERVER = 186


def test_sks_down(servers, work):
    env = servers.env
    hkp = os.path.join(work, "h-hkp")
    servers.stop_sks()
    r, seconds = timed(gpg, hkp, "--recv-keys", env["ALICE_FPR"])
    code = int(m.group(1)) & 0xffff if (m := re.search(r"FAILURE recv-keys (\d+)", r.stdout)) else 0
    check("with sks stopped a lookup there fails at once: 'No keyserver available'",
          r.returncode != 0 and code == GPG_ERR_NO_KEYSERVER and seconds < 5, r.stdout + r.stderr)
    servers.start_sks()
    r = gpg(hkp, "--recv-keys", env["ALICE_FPR"])
    # dirmngr marks an HKP host it could not reach as dead, for a long while.
    check("sks started again: the same dirmngr still counts it dead",
          r.returncode != 0 and "No keyserver available" in r.stderr, r.stdout + r.stderr)
    reload = run(["gpgconf", "--homedir", hkp, "--reload", "dirmngr"])
    r = gpg(hkp, "--recv-keys", env["ALICE_FPR"])
    check("after gpgconf --reload dirmngr it is used again",
          reload.returncode == 0 and r.returncode == 0 and key_state(hkp, env["ALICE_FPR"]) == "valid",
          reload.stderr + r.stdout + r.stderr)


def main():
    work = tempfile.mkdtemp(prefix="signet-dir-")
    directory = os.path.join(work, "servers")
    try:
        try:
            servers = directoryservers.start(directory)
        except directoryservers.Unavailable as e:
            print(f"1..0 # SKIP {e}")
            return 77
        print(f"# ready in {servers.env['READY_SECONDS']} s")
        try:
            test_people(servers.env)
            test_ldap_keys(servers, work)
            test_gpgme(servers, work)
            test_revocations(servers, work)
            test_ldap_down(servers, work)
            test_ldap_paused(servers, work)
            test_sks_down(servers, work)
        finally:
            t0 = time.monotonic()
            directoryservers.stop(directory)
            print(f"# stopped in {time.monotonic() - t0:.2f} s")
        left = directoryservers._processes_of(os.path.abspath(work))
        check("no process of the fixture is left (slapd, sks, gpg-agent, dirmngr)", not left, left)
        ports = [servers.env[k] for k in ("LDAP_PORT", "HKP_PORT")]
        check("every port is closed again", all(port_closed(p) for p in ports), ports)
        test_command_line(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"1..{len(results)}")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
