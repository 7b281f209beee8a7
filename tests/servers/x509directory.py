#!/usr/bin/python3
"""X.509 certificates in the organisation's directory, for S/MIME tests.

Starts what directoryservers.py starts (slapd and sks on loopback), then
makes a test certificate authority with openssl and puts certificates for
some of the directory's people on their inetOrgPerson entries as
userCertificate;binary, where gpgsm's dirmngr finds them by mail address:

    servers = x509directory.start("/tmp/x/dir")
    home = servers.smime_home("/tmp/x/home")   # a GnuPG home for gpgsm using it
    servers.revoke("hedy")                      # a new CRL in the directory
    x509directory.stop("/tmp/x/dir")

or from a shell (values are shell-quoted, also written to DIR/env):

    eval "$(tests/servers/x509directory.py start DIR)"; ...
    tests/servers/x509directory.py smime-home DIR HOME [--no-servers] [--secret NAME...]
    tests/servers/x509directory.py revoke DIR NAME
    tests/servers/x509directory.py stop DIR

Certificates (RSA 2048, made at each start in DIR/x509; NAME_CERT is each
PEM certificate, NAME_X509_FPR its SHA-1 fingerprint as gpgsm shows it):
  hedy   valid, issued by the test CA            (no OpenPGP key anywhere)
  ida    revoked: listed in the CA's CRL         (no OpenPGP key anywhere)
  karl   expired in 2020                         (no OpenPGP key anywhere)
  lise   issued by a CA nobody trusts            (no OpenPGP key anywhere)
  tim    valid; its secret key is in DIR/x509/tim.p12 (no password), for a
         sender who signs and seals to themselves
  alice  valid, and alice has an OpenPGP key too (in LDAP and on sks)
The CA (CA_CERT, CA_X509_FPR) is "cn=Signet Test CA,dc=example,dc=org" in the
directory too, with its CRL as certificateRevocationList;binary; every
certificate it issued names that entry as its CRL distribution point, so
dirmngr fetches the CRL from the directory. The untrusted CA is
UNTRUSTED_CA_CERT.

smime_home() makes a GnuPG home whose dirmngr.conf names the directory as
an "ldapserver" (gpgsm looks certificates up there) and whose trustlist.txt
trusts the test CA alone; both CAs' certificates are imported (so the
untrusted one is found, and refused as untrusted rather than unknown), and
the secret keys of the names given.

Needs what directoryservers.py needs, and gpgsm and openssl: start() raises
Unavailable, and the command exits with 77 (meson's "skip"), without them.
"""

import base64
import os
import shutil
import subprocess
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import directoryservers as ds  # noqa: E402

CERTS = ("hedy", "ida", "karl", "lise", "tim", "alice")
REVOKED = ("ida",)
EXPIRED = ("karl",)
UNTRUSTED = ("lise",)
CA_DN = f"cn=Signet Test CA,{ds.BASE}"
TOOLS = ("/usr/bin/gpgsm", "/usr/bin/openssl")

Unavailable = ds.Unavailable

CA_CONF = """\
[ ca ]
default_ca = test_ca
[ test_ca ]
dir = {dir}
database = $dir/index.txt
new_certs_dir = $dir/issued
serial = $dir/serial
crlnumber = $dir/crlnumber
certificate = $dir/ca.pem
private_key = $dir/ca.key
default_md = sha256
default_days = 365
default_crl_days = 30
policy = anything
unique_subject = no
copy_extensions = none
email_in_dn = yes
[ anything ]
commonName = supplied
emailAddress = optional
[ ca_ext ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[ person ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = emailProtection
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = email:copy
{crl_dp}
"""


def _openssl(*args, **kwargs):
    return ds._run(["openssl", *args], **kwargs)


def _gpgsm(home, *args, **kwargs):
    return ds._run(["gpgsm", "--homedir", home, "--batch", "--no-tty", *args], **kwargs)


def _sha1(pem):
    out = _openssl("x509", "-in", pem, "-noout", "-fingerprint", "-sha1").stdout.decode()
    return out.strip().split("=", 1)[1].replace(":", "").upper()


def _make_ca(x509, name, cn, crl_url):
    ca = os.path.join(x509, name)
    os.makedirs(os.path.join(ca, "issued"))
    ds._write(os.path.join(ca, "index.txt"), "")
    ds._write(os.path.join(ca, "serial"), "1000\n")
    ds._write(os.path.join(ca, "crlnumber"), "1000\n")
    # a section: the URL has commas, which separate values on one line
    crl_dp = f"crlDistributionPoints = crl_dp\n[ crl_dp ]\nfullname = URI:{crl_url}" if crl_url else ""
    ds._write(os.path.join(ca, "ca.cnf"), CA_CONF.format(dir=ca, crl_dp=crl_dp))
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3650", "-subj", f"/CN={cn}/O=Example Org",
             "-config", os.path.join(ca, "ca.cnf"), "-extensions", "ca_ext",
             "-keyout", os.path.join(ca, "ca.key"), "-out", os.path.join(ca, "ca.pem"))
    return ca


def _issue(ca, x509, uid, expired=False):
    """uid's key and certificate (PEM) in x509, issued by ca."""
    _, given, sn = ds._person(uid)
    mail = f"{uid}@{ds.DOMAIN}"
    key, csr, pem = (os.path.join(x509, f"{uid}.{ext}") for ext in ("key", "csr", "pem"))
    _openssl("req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr,
             "-subj", f"/CN={given} {sn}/emailAddress={mail}", "-utf8")
    dates = ["-startdate", "20200101000000Z", "-enddate", "20200102000000Z"] if expired else []
    _openssl("ca", "-batch", "-config", os.path.join(ca, "ca.cnf"), "-extensions", "person", "-notext",
             "-utf8", "-in", csr, "-out", pem, *dates)
    return pem


def _import_secret(home, p12):
    """Imports the secret key in the PKCS#12 file p12 (no password) into
    home, whose gpg-agent.conf allows loopback pinentry, unprotected."""
    # The agent is up before the import: gpgsm starting it itself gives up
    # after a few seconds on a busy machine.
    ds._run(["gpgconf", "--homedir", home, "--launch", "gpg-agent"])
    _gpgsm(home, "--pinentry-mode", "loopback", "--passphrase-fd", "0", "--import", p12, input=b"\n")


def _export_p12(base, scratch):
    """base.p12 from base.pem and base.key, without a password. gpgsm 2.2
    cannot decrypt about one PKCS#12 file in sixty, always the same files:
    which ones depends only on the random salts OpenSSL picks. Each export
    is imported into a scratch home first, and made again until gpgsm reads
    it."""
    for attempt in range(10):
        _openssl("pkcs12", "-export", "-in", base + ".pem", "-inkey", base + ".key", "-passout", "pass:",
                 "-name", "Tim Berners-Lee", "-out", base + ".p12",
                 # what gpgsm 2.2 reads (not OpenSSL 3's default PBES2)
                 "-keypbe", "PBE-SHA1-3DES", "-certpbe", "PBE-SHA1-3DES", "-macalg", "sha1")
        home = f"{scratch}-{attempt}"
        os.makedirs(home, 0o700)
        ds._write(os.path.join(home, "gpg-agent.conf"), "allow-loopback-pinentry\n")
        try:
            _import_secret(home, base + ".p12")
            read = True
        except subprocess.CalledProcessError:
            read = False
        finally:
            subprocess.run(["gpgconf", "--homedir", home, "--kill", "all"], capture_output=True)
            shutil.rmtree(home, ignore_errors=True)
        if read:
            return
    raise RuntimeError(f"gpgsm could read none of ten exports of {base}.p12")


def _crl(ca):
    path = os.path.join(ca, "crl.der")
    pem = _openssl("ca", "-batch", "-config", os.path.join(ca, "ca.cnf"), "-gencrl").stdout
    _openssl("crl", "-inform", "PEM", "-outform", "DER", "-out", path, input=pem)
    with open(path, "rb") as f:
        return f.read()


def _der(pem):
    return _openssl("x509", "-in", pem, "-outform", "DER").stdout


def _publish_crl(d, ca):
    crl = base64.b64encode(_crl(ca)).decode()
    r = ds._ldap_modify(d, f"dn: {CA_DN}\nchangetype: modify\n"
                           f"replace: certificateRevocationList;binary\n"
                           f"certificateRevocationList;binary:: {crl}\n-\n")
    if r.returncode != 0:
        raise RuntimeError(f"publishing the CRL failed: {r.stderr.decode(errors='replace')}")


def _publish(d, x509, ca, env):
    ca_der = base64.b64encode(_der(os.path.join(ca, "ca.pem"))).decode()
    crl = base64.b64encode(_crl(ca)).decode()
    ldif = [f"dn: {CA_DN}\nchangetype: add\nobjectClass: organizationalRole\n"
            f"objectClass: certificationAuthority\ncn: Signet Test CA\n"
            f"cACertificate;binary:: {ca_der}\nauthorityRevocationList;binary:: {crl}\n"
            f"certificateRevocationList;binary:: {crl}\n\n"]
    for uid in CERTS:
        der = base64.b64encode(_der(os.path.join(x509, f"{uid}.pem"))).decode()
        ldif.append(f"dn: uid={uid},{ds.PEOPLE_DN}\nchangetype: modify\n"
                    f"add: userCertificate;binary\nuserCertificate;binary:: {der}\n-\n\n")
    r = ds._ldap_modify(d, "".join(ldif))
    if r.returncode != 0:
        raise RuntimeError(f"ldapmodify failed: {r.stderr.decode(errors='replace')}")


def _revoke(ca, x509, uid):
    _openssl("ca", "-batch", "-config", os.path.join(ca, "ca.cnf"), "-revoke", os.path.join(x509, f"{uid}.pem"),
             "-crl_reason", "keyCompromise")


def revoke(directory, uid):
    """Revokes uid's certificate and publishes the CA's new CRL in the
    directory (a home that fetched the old CRL keeps it until it expires or
    is fetched again)."""
    d = os.path.abspath(directory)
    x509 = os.path.join(d, "x509")
    ca = os.path.join(x509, "ca")
    _revoke(ca, x509, uid)
    _publish_crl(d, ca)


def _make_certificates(d, env):
    x509 = os.path.join(d, "x509")
    os.makedirs(x509, mode=0o700)
    # RFC 4516 URL of the CA's entry (commas escaped: openssl's config splits
    # values at them): dirmngr reads the CRL from there.
    crl_url = (f"ldap://{ds.HOST}:{env['LDAP_PORT']}/{urllib.parse.quote(CA_DN, safe='=')}"
               "?certificateRevocationList;binary")
    ca = _make_ca(x509, "ca", "Signet Test CA", crl_url)
    rogue = _make_ca(x509, "rogue", "Rogue CA", None)
    for uid in CERTS:
        _issue(rogue if uid in UNTRUSTED else ca, x509, uid, expired=uid in EXPIRED)
        env[f"{uid.upper()}_CERT"] = os.path.join(x509, f"{uid}.pem")
        env[f"{uid.upper()}_X509_FPR"] = _sha1(os.path.join(x509, f"{uid}.pem"))
    for uid in REVOKED:
        _revoke(ca, x509, uid)
    tim = os.path.join(x509, "tim")
    _export_p12(tim, os.path.join(d, "p12-check"))
    env["TIM_P12"] = tim + ".p12"
    env["CA_CERT"] = os.path.join(ca, "ca.pem")
    env["CA_X509_FPR"] = _sha1(env["CA_CERT"])
    env["UNTRUSTED_CA_CERT"] = os.path.join(rogue, "ca.pem")
    env["CA_DN"] = CA_DN
    env["CRL_URL"] = crl_url
    env["X509_PEOPLE"] = " ".join(CERTS)
    _publish(d, x509, ca, env)


class X509Directory(ds.DirectoryServers):
    """DirectoryServers with certificates; env also holds the X.509 values."""

    def smime_home(self, home, secret=(), servers=True):
        return smime_home(self.directory, home, secret, servers)

    def revoke(self, uid):
        revoke(self.directory, uid)

    def x509_fingerprint(self, uid):
        return self.env[uid.upper() + "_X509_FPR"]


def start(directory):
    """Starts the directory servers and publishes the certificates; returns
    an X509Directory once every server answers."""
    for path in TOOLS:
        if not os.access(path, os.X_OK):
            raise Unavailable(f"{path} is missing: build-aux/install-deps.sh --tests installs it")
    servers = ds.start(directory)
    d = servers.directory
    env = dict(servers.env)
    try:
        _make_certificates(d, env)
    except BaseException:
        ds.stop(d)
        raise
    ds._write(os.path.join(d, "env"), ds.format_env(env))
    return X509Directory(env)


def smime_home(directory, home, secret=(), servers=True):
    """Makes home a GnuPG home for gpgsm: dirmngr looks certificates up in the
    directory (unless servers is false: then its dirmngr.conf names no
    server at all, as for a program that names them itself), the test CA
    alone is trusted, both CAs' certificates are known, and the secret keys
    of the names in secret (only "tim" has a PKCS#12 file) are imported
    without a passphrase."""
    d = os.path.abspath(directory)
    env = ds._read_env(d)
    ds.client_home(d, home, "ldap")
    conf = f"keyserver {env['LDAP_URL']}\nldapserver {ds.HOST}:{env['LDAP_PORT']}:::{ds.BASE}\n" if servers else ""
    ds._write(os.path.join(home, "dirmngr.conf"), conf + "ldaptimeout 5\n")
    ds._write(os.path.join(home, "gpg-agent.conf"), "allow-loopback-pinentry\n")
    ds._write(os.path.join(home, "trustlist.txt"), f"{_colons(env['CA_X509_FPR'])} S relax\n")
    _gpgsm(home, "--import", env["CA_CERT"], env["UNTRUSTED_CA_CERT"])
    for uid in secret:
        _import_secret(home, env[f"{uid.upper()}_P12"])
    return home


def _colons(fpr):
    return ":".join(fpr[i:i + 2] for i in range(0, len(fpr), 2))


stop = ds.stop

USAGE = """\
usage: {0} start|stop DIR
       {0} revoke DIR NAME
       {0} smime-home DIR HOME [--no-servers] [--secret NAME...]"""


def main(argv):
    command = argv[1] if len(argv) > 1 else ""
    try:
        if command == "start" and len(argv) == 3:
            sys.stdout.write(ds.format_env(start(argv[2]).env))
        elif command == "stop" and len(argv) == 3:
            stop(argv[2])
        elif command == "revoke" and len(argv) == 4 and argv[3] in CERTS:
            revoke(argv[2], argv[3])
        elif command == "smime-home" and len(argv) >= 4:
            rest = argv[4:]
            servers = rest[:1] != ["--no-servers"]
            rest = rest if servers else rest[1:]
            names = rest[1:] if rest[:1] == ["--secret"] else []
            if rest and rest[:1] != ["--secret"] or any(n != "tim" for n in names):
                print(USAGE.format(argv[0]), file=sys.stderr)
                return 2
            print(os.path.abspath(smime_home(argv[2], argv[3], names, servers)))
        else:
            print(USAGE.format(argv[0]), file=sys.stderr)
            return 2
    except Unavailable as e:
        print(f"skipped: {e}", file=sys.stderr)
        return ds.SKIP
    except (RuntimeError, OSError, subprocess.CalledProcessError) as e:
        detail = getattr(e, "stderr", None)
        print(f"error: {e}", file=sys.stderr)
        if detail:
            sys.stderr.write(detail.decode(errors="replace"))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
