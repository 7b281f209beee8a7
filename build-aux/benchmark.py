#!/usr/bin/python3
"""Sealing benchmark: Signet against plain gpg on the same machine, same run.

Seals a message with one attachment of SIZE MiB (default 100) to two keys and
prints the time ratio against `gpg --encrypt --armor` of the same bytes, and
Signet's own peak memory against the attachment's size (it must stream, so
the ratio is far below 1).

usage: build-aux/benchmark.py [BUILD_DIR] [SIZE_MIB]   (after a build)"""

import os
import shutil
import subprocess
import sys
import tempfile
import time

top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
build = sys.argv[1] if len(sys.argv) > 1 else os.path.join(top, "_build")
size_mib = int(sys.argv[2]) if len(sys.argv) > 2 else 100
runs = 3


def make_home(tmp):
    home = os.path.join(tmp, "gnupg")
    os.mkdir(home, 0o700)
    with open(os.path.join(home, "gpg.conf"), "w") as f:
        f.write("trusted-key 7A3F2A942CEF5CBA\n")
    subprocess.run(["gpg", "--homedir", home, "--batch", "--import",
                    os.path.join(top, "data", "demo", "demo-keys.asc")],
                   check=True, capture_output=True)
    return home


def gpg_baseline(home, path, out):
    start = time.monotonic()
    subprocess.run(["gpg", "--homedir", home, "--batch", "--yes", "--armor", "--compress-algo", "none",
                    "--trust-model", "always", "-r", "alice@example.org", "-r", "demo@example.org",
                    "--output", out, "--encrypt", path], check=True)
    return time.monotonic() - start


def signet(home, path, out):
    result = subprocess.run([os.path.join(build, "tests", "bench", "bench-seal"), home, path, out],
                            check=True, capture_output=True, text=True)
    seconds, rss_kib = result.stdout.split()
    return float(seconds), int(rss_kib)


def main():
    tmp = tempfile.mkdtemp(prefix="sgb.")
    try:
        home = make_home(tmp)
        path = os.path.join(tmp, "attachment.bin")
        with open(path, "wb") as f:
            for _ in range(size_mib):
                f.write(os.urandom(1 << 20))
        gpg_times, signet_times, rss = [], [], []
        for _ in range(runs):
            gpg_times.append(gpg_baseline(home, path, os.path.join(tmp, "gpg.asc")))
            seconds, rss_kib = signet(home, path, os.path.join(tmp, "signet.eml"))
            signet_times.append(seconds)
            rss.append(rss_kib)
        gpg_t, signet_t, peak = min(gpg_times), min(signet_times), max(rss)
        print(f"attachment: {size_mib} MiB, best of {runs} runs")
        print(f"gpg --encrypt --armor:   {gpg_t:.2f} s")
        print(f"signet seal (PGP/MIME):  {signet_t:.2f} s")
        print(f"time ratio signet/gpg:   {signet_t / gpg_t:.2f}")
        print(f"signet peak RSS:         {peak / 1024:.1f} MiB")
        print(f"memory ratio RSS/attachment: {peak / 1024 / size_mib:.3f}")
    finally:
        subprocess.run(["gpgconf", "--homedir", os.path.join(tmp, "gnupg"), "--kill", "all"], check=False)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
