#!/usr/bin/python3
"""Signet against its baselines, measured interleaved in one run.

Each Signet figure is measured in turn with its baseline (A B A B …), PAIRS
times, and one table gives medians, minimums and the ratio of each pair:

  seal      a message with one SIZE MiB attachment, PGP/MIME armored
            (tests/bench/bench-seal) against `gpg --encrypt --armor
            --compress-algo none` of the same bytes
  send      the longest main-loop gap while the real binary seals and sends
            that message (Seal on, the Send button pressed through AT-SPI),
            against the 16 ms of a frame at 60 Hz
  names     the longest main-loop gap during Check Names with 100
            recipients in a 10,000-key keyring, against the same 16 ms
  resolve   resolving those 100 recipients (tests/bench/bench-resolve; first
            time, and a repeat with the keyring unchanged) against one
            batched `gpg --list-keys` of the same 100
  startup   exec to a painted composer (the X screen looked at every 5 ms)
            with a warm demo home, and on first use (demo home created),
            against a bare AdwApplicationWindow program; VmHWM at that moment.
            At least 25 rounds (bare, warm, the bare window again, first
            use): a start takes a tenth of a second, and single starts vary
            by half either way. The bare window's second start, against its
            first, shows how far the machine alone moves the ratio

Main-loop gaps come from the probe built into Signet (SIGNET_MAINLOOP_PROBE,
src/gui/signet-mainloop-probe.c). The 10,000-key keyring is generated once
(ed25519 keys in parallel GnuPG homes, joined) and kept in
~/.cache/signet-bench. Everything runs in a network namespace of its own
(loopback as the default route, so Signet is online and reaches nothing),
with its own D-Bus session and Xvfb. Afterwards build-aux/fuzz.py runs, when
it exists, on the fuzzing build (--fuzz-build, default _build-fuzz).

usage: build-aux/benchmark.py [--pairs N] [--size MIB] [--rows ROW,…] [--no-fuzz]
                              [--fuzz-build DIR] [BUILD_DIR [SIZE_MIB]]

Not part of the test suite: it takes several minutes and wants a quiet
machine. docs/performance.md holds a run."""

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PYTHON = "/usr/bin/python3"
INNER_MARK = "SIGNET_BENCH_INNER"
CACHE = os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "signet-bench")
DEMO_KEYS = os.path.join(TOP, "data", "demo", "demo-keys.asc")
DEMO_SENDER_KEYID = "7A3F2A942CEF5CBA"
N_KEYS = 10000
N_HOMES = 8
N_RECIPIENTS = 100
FRAME_MS = 16.0
ROWS = ("seal", "send", "names", "resolve", "startup")
# Where the header bar of a window at 0,0 will be: what start-up waits for.
STRIP = ("760", "46")
STARTUP_MIN_PAIRS = 25


# ---- the 10,000-key keyring, made once ------------------------------------

def key_address(i):
    return f"person{i}@bench.example"


def recipients():
    """The 100 addresses looked up: spread over the whole keyring."""
    step = N_KEYS // N_RECIPIENTS
    return [key_address(i * step + 7) for i in range(N_RECIPIENTS)]


def _gen_batch(first, count):
    blocks = ["%no-ask-passphrase\n"]
    for i in range(first, first + count):
        blocks.append("Key-Type: eddsa\nKey-Curve: ed25519\nKey-Usage: sign\n"
                      "Subkey-Type: ecdh\nSubkey-Curve: cv25519\nSubkey-Usage: encrypt\n"
                      f"Name-Real: Bench Person {i}\nName-Email: {key_address(i)}\n"
                      "Expire-Date: 0\n%no-protection\n%commit\n")
    return "".join(blocks)


def _generate_part(tmp, part, first, count):
    home = os.path.join(tmp, f"h{part}")
    os.mkdir(home, 0o700)
    subprocess.run(["gpg", "--homedir", home, "--batch", "--no-auto-check-trustdb", "--gen-key"],
                   input=_gen_batch(first, count), text=True, check=True, capture_output=True)
    exported = os.path.join(tmp, f"part{part}.gpg")
    subprocess.run(["gpg", "--homedir", home, "--batch", "--output", exported, "--export"],
                   check=True, capture_output=True)
    subprocess.run(["gpgconf", "--homedir", home, "--kill", "all"], check=False)
    return exported


def keyring():
    """The directory whose pubring.kbx holds N_KEYS public keys."""
    ready = os.path.join(CACHE, f"keyring-{N_KEYS}")
    if os.path.exists(os.path.join(ready, "pubring.kbx")):
        return ready
    print(f"generating the {N_KEYS}-key keyring once (several minutes) into {ready}", file=sys.stderr)
    os.makedirs(CACHE, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="sgk.", dir="/tmp")
    try:
        per = N_KEYS // N_HOMES
        with ThreadPoolExecutor(N_HOMES) as pool:
            parts = list(pool.map(lambda p: _generate_part(tmp, p, p * per, per), range(N_HOMES)))
        joined = os.path.join(tmp, "joined")
        os.mkdir(joined, 0o700)
        subprocess.run(["gpg", "--homedir", joined, "--batch", "--no-auto-check-trustdb",
                        "--import-options", "import-minimal", "--import", *parts],
                       check=True, capture_output=True)
        subprocess.run(["gpgconf", "--homedir", joined, "--kill", "all"], check=False)
        staging = ready + ".new"
        shutil.rmtree(staging, ignore_errors=True)
        os.mkdir(staging, 0o700)
        shutil.copy(os.path.join(joined, "pubring.kbx"), staging)
        os.rename(staging, ready)
        return ready
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def demo_home_with_keyring(home, ring):
    """A demo GnuPG home as Signet makes it, plus the big keyring; the 100
    recipients' keys are made valid (ownertrust), as keys one has checked."""
    os.makedirs(home, 0o700)
    shutil.copy(os.path.join(ring, "pubring.kbx"), home)
    with open(os.path.join(home, "gpg.conf"), "w") as f:
        f.write(f"trusted-key {DEMO_SENDER_KEYID}\n")
    gpg = ["gpg", "--homedir", home, "--batch"]
    subprocess.run(gpg + ["--import", DEMO_KEYS], check=True, capture_output=True)
    listing = subprocess.run(gpg + ["--with-colons", "--list-keys", *recipients()],
                             check=True, capture_output=True, text=True).stdout
    fprs, previous = [], None
    for line in listing.splitlines():
        fields = line.split(":")
        if fields[0] == "fpr" and previous == "pub":
            fprs.append(fields[9])
        previous = fields[0]
    trust = "".join(f"{fpr}:6:\n" for fpr in fprs)
    subprocess.run(gpg + ["--import-ownertrust"], input=trust, text=True, check=True, capture_output=True)
    subprocess.run(gpg + ["--check-trustdb"], check=False, capture_output=True)
    open(os.path.join(home, "signet-demo-ready"), "w").close()
    subprocess.run(["gpgconf", "--homedir", home, "--kill", "all"], check=False)


# ---- measuring --------------------------------------------------------------

def schedstat(pid):
    """The main thread's time on a CPU and waiting for one (ns)."""
    try:
        with open(f"/proc/{pid}/task/{pid}/schedstat") as f:
            run_ns, wait_ns, _ = (int(v) for v in f.read().split())
            return run_ns, wait_ns
    except (OSError, ValueError):
        return None


def attempt(what, func, tries=3):
    """func(), tried again when the desktop around it fails (AT-SPI can be
    slow to list a new application on a busy machine)."""
    for i in range(tries):
        try:
            return func()
        except Exception as error:    # noqa: BLE001 (AT-SPI raises GLib.Error too)
            if i == tries - 1:
                raise
            print(f"{what}: {error}; again", file=sys.stderr, flush=True)
    return None


def start_app(*args, **kwargs):
    """signet_atspi.App, its process ended again if it never shows up."""
    from signet_atspi import App
    app = App.__new__(App)
    try:
        App.__init__(app, *args, **kwargs)
    except AssertionError:
        if getattr(app, "proc", None) is not None:
            app.proc.kill()
            app.proc.wait()
            home = os.path.join(app.data_dir, "demo-gnupg")
            subprocess.run(["gpgconf", "--homedir", home, "--kill", "all"], check=False, capture_output=True)
            shutil.rmtree(app.tmp, ignore_errors=True)
        raise
    return app


class Bench:
    def __init__(self, build, size_mib, pairs, tmp):
        self.build = build
        self.size_mib = size_mib
        self.pairs = pairs
        self.tmp = tmp
        self.signet = os.path.join(build, "src", "signet")
        self.schema_dir = os.path.join(build, "data")
        self.tool = lambda name: os.path.join(build, "tests", "bench", name)
        self._attachment = None
        self._names_home = None
        self.send_waits = []   # ms the main thread waited for a CPU during Send
        self.send_runs = []    # ms it ran
        self.send_longest = [] # in each Send's longest gap: (ms on a CPU, times blocked, times preempted)

    # shared fixtures

    def attachment(self):
        if self._attachment is None:
            self._attachment = os.path.join(self.tmp, "attachment.bin")
            with open(self._attachment, "wb") as f:
                for _ in range(self.size_mib):
                    f.write(os.urandom(1 << 20))
        return self._attachment

    def names_home(self):
        """A data dir whose demo home holds the 10,000-key keyring (copied
        per run from this template)."""
        if self._names_home is None:
            self._names_home = os.path.join(self.tmp, "names-template")
            demo_home_with_keyring(os.path.join(self._names_home, "data", "signet", "demo-gnupg"), keyring())
        return self._names_home

    def gui_env(self, tmp, accessible):
        env = dict(os.environ)
        env.update({
            "XDG_DATA_HOME": os.path.join(tmp, "data"),
            "XDG_CONFIG_HOME": os.path.join(tmp, "config"),
            "XDG_CACHE_HOME": os.path.join(tmp, "cache"),
            "GSETTINGS_BACKEND": "memory",
            "GSETTINGS_SCHEMA_DIR": self.schema_dir,
            "GDK_BACKEND": "x11",
            "GSK_RENDERER": "cairo",
            "GDK_DEBUG": "gl-disable",
        })
        if not accessible:
            env.update({"NO_AT_BRIDGE": "1", "GTK_A11Y": "none"})
        return env

    # seal

    def seal_pair(self):
        path = self.attachment()
        home = os.path.join(self.tmp, "seal-gnupg")
        if not os.path.isdir(home):
            os.mkdir(home, 0o700)
            with open(os.path.join(home, "gpg.conf"), "w") as f:
                f.write(f"trusted-key {DEMO_SENDER_KEYID}\n")
            subprocess.run(["gpg", "--homedir", home, "--batch", "--import", DEMO_KEYS],
                           check=True, capture_output=True)
        out = os.path.join(self.tmp, "sealed.out")
        start = time.monotonic()
        subprocess.run(["gpg", "--homedir", home, "--batch", "--yes", "--armor", "--compress-algo", "none",
                        "--trust-model", "always", "-r", "alice@example.org", "-r", "demo@example.org",
                        "--output", out, "--encrypt", path], check=True)
        baseline = time.monotonic() - start
        result = subprocess.run([self.tool("bench-seal"), home, path, out],
                                check=True, capture_output=True, text=True)
        seconds, rss_kib = result.stdout.split()
        os.unlink(out)
        return float(seconds), baseline, int(rss_kib)

    # main-loop gaps in the real binary

    @staticmethod
    def _read_probe(probe, row=None):
        """The longest gap the probe wrote to @probe: (ms, ms on a CPU, times
        blocked, times preempted); said on stderr for @row."""
        with open(probe) as f:
            gap, cpu, blocked, preempted = (int(v) for v in f.read().split())
        if row is not None:
            print(f"{row}: longest gap {gap / 1000:.1f} ms, the main thread on a CPU {cpu / 1000:.1f} ms of it, "
                  f"blocked {blocked}×, preempted {preempted}×", file=sys.stderr, flush=True)
        return gap / 1000, cpu / 1000, blocked, preempted

    def _probe(self, app, probe, row=None):
        """Asks the probe for the longest gap since the last ask, as
        _read_probe() gives it."""
        if os.path.exists(probe):
            os.unlink(probe)
        app.proc.send_signal(signal.SIGUSR1)
        deadline = time.monotonic() + 10
        while not os.path.exists(probe):
            if time.monotonic() > deadline:
                raise AssertionError("the main-loop probe did not answer")
            time.sleep(0.01)
        return self._read_probe(probe, row)

    def send_gap(self):
        from signet_atspi import click, wait_for
        tmp = tempfile.mkdtemp(prefix="sgs.", dir="/tmp")
        probe = os.path.join(tmp, "probe")
        app = start_app(self.signet, "--demo", "--to", "alice@example.org", "--subject", "Benchmark",
                  "--attach", self.attachment(), schema_dir=self.schema_dir, tmp=tmp,
                  extra_env={"SIGNET_MAINLOOP_PROBE": probe})
        try:
            app.wait_find("frame", "Benchmark")
            app.seal_on()
            app.wait_find("label", "attachment.bin")
            body = app.wait_find("text", "Message body")
            from gi.repository import Atspi
            Atspi.EditableText.set_text_contents(body, "The figures.\n")
            send = app.wait_find("push button", "Send")
            time.sleep(1.0)
            self._probe(app, probe)
            os.unlink(probe)
            before = schedstat(app.proc.pid)
            click(send)
            after = before
            while app.proc.poll() is None:
                after = schedstat(app.proc.pid) or after
                time.sleep(0.02)
            code = app.proc.wait(timeout=300)
            self.send_waits.append((after[1] - before[1]) / 1e6)
            self.send_runs.append((after[0] - before[0]) / 1e6)
            assert code == 0, f"signet exited with {code}"
            inbox = os.path.join(app.data_dir, "Local", "alice@example.org", "Inbox")
            wait_for(lambda: any(files for _, _, files in os.walk(inbox)), "the message to arrive", 10)
            gap, *during = self._read_probe(probe, "send")
            self.send_longest.append(tuple(during))
            return gap
        finally:
            app.close()

    def names_gap(self):
        from gi.repository import Atspi
        from signet_atspi import click, wait_for
        tmp = tempfile.mkdtemp(prefix="sgn.", dir="/tmp")
        shutil.copytree(os.path.join(self.names_home(), "data"), os.path.join(tmp, "data"))
        probe = os.path.join(tmp, "probe")
        app = start_app(self.signet, "--demo", schema_dir=self.schema_dir, tmp=tmp,
                  extra_env={"SIGNET_MAINLOOP_PROBE": probe})
        try:
            app.wait_find("frame", "New Message")
            app.seal_on()
            to = app.wait_find("text", "To")
            Atspi.EditableText.set_text_contents(to, ", ".join(recipients()) + ",")

            def pills_valid():
                parent = to if to.get_child_count() > 0 else to.get_parent()
                n = 0
                for i in range(parent.get_child_count()):
                    child = parent.get_child_at_index(i)
                    if child is not None and "Valid sealing key" in (child.get_description() or ""):
                        n += 1
                return n >= N_RECIPIENTS
            wait_for(pills_valid, "100 pills with valid keys", 120)
            check = app.wait_find("push button", "Check Names")
            time.sleep(1.0)
            self._probe(app, probe)
            click(check)
            wait_for(lambda: app.find("label", "All recipients have valid sealing keys") or app.toplevels("dialog"),
                     "Check Names to finish", 120)
            return self._probe(app, probe, "names")[0]
        finally:
            app.close()

    # resolving

    def resolve_pair(self):
        home = os.path.join(self.names_home(), "data", "signet", "demo-gnupg")
        out = subprocess.run([self.tool("bench-resolve"), home, *recipients()],
                             check=True, capture_output=True, text=True).stdout.split()
        start = time.monotonic()
        subprocess.run(["gpg", "--homedir", home, "--batch", "--with-colons", "--list-keys", *recipients()],
                       check=True, capture_output=True)
        baseline = (time.monotonic() - start) * 1000
        return float(out[0]), float(out[1]), baseline

    # start-up

    def startup(self, tmp, *argv):
        env = self.gui_env(tmp, accessible=False)
        out = subprocess.run([self.tool("bench-startup"), *STRIP, *argv], env=env,
                             check=True, capture_output=True, text=True).stdout.split()
        return float(out[0]), int(out[1]) / 1024

    def startup_round(self, warm_tmp):
        bare = self.startup(os.path.join(self.tmp, "bare"), self.tool("bench-bare-window"))
        warm = self.startup(warm_tmp, self.signet, "--demo")
        again = self.startup(os.path.join(self.tmp, "bare"), self.tool("bench-bare-window"))
        first_tmp = tempfile.mkdtemp(prefix="sgf.", dir="/tmp")
        try:
            first = self.startup(first_tmp, self.signet, "--demo")
        finally:
            subprocess.run(["gpgconf", "--homedir", os.path.join(first_tmp, "data", "signet", "demo-gnupg"),
                            "--kill", "all"], check=False, capture_output=True)
            shutil.rmtree(first_tmp, ignore_errors=True)
        return bare, warm, first, again


# ---- the table ----------------------------------------------------------------

def progress(row, i, value):
    print(f"{row} {i + 1}: {value}", file=sys.stderr, flush=True)
    return value


def fmt(values, unit, digits=0):
    return f"{statistics.median(values):.{digits}f} {unit} (min {min(values):.{digits}f})"


def ratio_text(ratios):
    return f"{statistics.median(ratios):.2f}× ({min(ratios):.2f}–{max(ratios):.2f})"


def run(args):
    sys.path.insert(0, os.path.join(TOP, "tests", "ui"))
    args.load_before = load()
    tmp = tempfile.mkdtemp(prefix="sgb.", dir="/tmp")
    bench = Bench(args.build, args.size, args.pairs, tmp)
    table = []
    try:
        if "seal" in args.rows:
            signet, gpg, rss = [], [], []
            for _ in range(args.pairs):
                s, g, r = bench.seal_pair()
                signet.append(s)
                gpg.append(g)
                rss.append(r)
            table.append((f"seal a message with a {args.size} MiB attachment (PGP/MIME, armored)",
                          fmt(signet, "s", 2), "gpg --encrypt --armor --compress-algo none: " + fmt(gpg, "s", 2),
                          ratio_text([s / g for s, g in zip(signet, gpg)]), "≤ 1.0×"))
            table.append(("peak memory of the sealing process", fmt([r / 1024 for r in rss], "MiB", 1),
                          f"attachment: {args.size} MiB", "", "growth < 16 MiB"))
        if "send" in args.rows:
            gaps = [progress("send", i, attempt("send", bench.send_gap)) for i in range(args.pairs)]
            table.append(("longest main-loop gap during Seal + Send of that message", fmt(gaps, "ms"),
                          f"{FRAME_MS:.0f} ms frame", ratio_text([g / FRAME_MS for g in gaps]), "never > 16 ms"))
            table.append(("main thread during that Send: time waiting for a CPU", fmt(bench.send_waits, "ms"),
                          "its time on a CPU: " + fmt(bench.send_runs, "ms"), "", ""))
            cpu = [c for c, _, _ in bench.send_longest]
            blocked = [b for _, b, _ in bench.send_longest]
            preempted = [p for _, _, p in bench.send_longest]
            table.append(("main thread during each Send's longest gap: time on a CPU", fmt(cpu, "ms", 1),
                          f"times it blocked: {statistics.median(blocked):.0f} (max {max(blocked)}); "
                          f"preempted: {statistics.median(preempted):.0f} (max {max(preempted)})", "", ""))
        if "names" in args.rows:
            gaps = [progress("names", i, attempt("names", bench.names_gap)) for i in range(args.pairs)]
            table.append((f"longest main-loop gap during Check Names, {N_RECIPIENTS} recipients, "
                          f"{N_KEYS:,}-key keyring", fmt(gaps, "ms"), f"{FRAME_MS:.0f} ms frame",
                          ratio_text([g / FRAME_MS for g in gaps]), "never > 16 ms"))
        if "resolve" in args.rows:
            first, repeat, gpg = [], [], []
            for _ in range(args.pairs):
                f, r, g = bench.resolve_pair()
                first.append(f)
                repeat.append(r)
                gpg.append(g)
            table.append((f"resolve {N_RECIPIENTS} recipients in a {N_KEYS:,}-key keyring", fmt(first, "ms"),
                          "one batched gpg --list-keys: " + fmt(gpg, "ms"),
                          ratio_text([f / g for f, g in zip(first, gpg)]), "≤ 1.05×"))
            table.append(("same, repeated with the keyring unchanged", fmt(repeat, "ms"), "same gpg",
                          ratio_text([r / g for r, g in zip(repeat, gpg)]), "≤ 0.1×"))
        if "startup" in args.rows:
            warm_tmp = os.path.join(tmp, "warm")
            bench.startup(warm_tmp, bench.signet, "--demo")     # makes the demo home
            args.startup_pairs = max(args.pairs, STARTUP_MIN_PAIRS)
            rounds = [bench.startup_round(warm_tmp) for _ in range(args.startup_pairs)]
            bare = [t[0][0] for t in rounds]
            warm = [t[1][0] for t in rounds]
            first = [t[2][0] for t in rounds]
            again = [t[3][0] for t in rounds]
            table.append(("start to a painted compose window (Xvfb, cairo, warm demo home)", fmt(warm, "ms"),
                          "bare AdwApplicationWindow: " + fmt(bare, "ms"),
                          ratio_text([t[1][0] / t[0][0] for t in rounds]), "≤ 1.10×"))
            table.append(("same, first use (demo home created)", fmt(first, "ms"), "same bare window",
                          ratio_text([t[2][0] / t[0][0] for t in rounds]), "≤ 1.3×"))
            table.append(("peak memory at that point (VmHWM, warm)", fmt([t[1][1] for t in rounds], "MiB", 1),
                          "bare: " + fmt([t[0][1] for t in rounds], "MiB", 1),
                          ratio_text([t[1][1] / t[0][1] for t in rounds]), "≤ 1.10×"))
            table.append(("control: the bare window started again in each round", fmt(again, "ms"),
                          "its first start in the round: " + fmt(bare, "ms"),
                          ratio_text([t[3][0] / t[0][0] for t in rounds]), "1.00× (the machine's noise)"))
    finally:
        for home in ("seal-gnupg", "names-template/data/signet/demo-gnupg", "warm/data/signet/demo-gnupg"):
            if os.path.isdir(os.path.join(tmp, home)):
                subprocess.run(["gpgconf", "--homedir", os.path.join(tmp, home), "--kill", "all"],
                               check=False, capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)
    print_table(table, args)


def machine():
    model = "unknown CPU"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    gpg = subprocess.run(["gpg", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    return f"{model}, {os.cpu_count()} CPUs, Linux {os.uname().release}, {gpg}"


def load():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def print_table(table, args):
    print(f"\nmachine: {machine()}")
    print(f"load average (1, 5, 15 min) before: {args.load_before}; after: {load()}")
    print(f"\n{args.pairs} interleaved pairs each (Signet, baseline)"
          + (f", {args.startup_pairs} for start-up" if getattr(args, "startup_pairs", args.pairs) != args.pairs else "")
          + "; medians, minimums, ratio per pair (median, range)\n")
    print("| measure | Signet | baseline in the same run | ratio | goal |")
    print("|---|---|---|---|---|")
    for row in table:
        print("| " + " | ".join(row) + " |")
    sys.stdout.flush()


def fuzz(args):
    script = os.path.join(TOP, "build-aux", "fuzz.py")
    if args.no_fuzz or not os.path.exists(script):
        return 0
    if not os.path.isdir(args.fuzz_build):
        print(f"fuzzing skipped: no fuzzing build at {args.fuzz_build}", file=sys.stderr)
        return 0
    return subprocess.run([PYTHON, script, args.fuzz_build]).returncode


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("build", nargs="?", default=os.path.join(TOP, "_build"), help="the build directory")
    parser.add_argument("size_mib", nargs="?", type=int, help="attachment size in MiB (same as --size)")
    parser.add_argument("--pairs", type=int, default=7, help="interleaved pairs per row (default 7)")
    parser.add_argument("--size", type=int, default=100, help="attachment size in MiB (default 100)")
    parser.add_argument("--rows", default=",".join(ROWS), help="rows to measure: " + ",".join(ROWS))
    parser.add_argument("--no-fuzz", action="store_true", help="do not run build-aux/fuzz.py afterwards")
    parser.add_argument("--fuzz-build", default=os.path.join(TOP, "_build-fuzz"),
                        help="the fuzzing build for build-aux/fuzz.py (default _build-fuzz)")
    args = parser.parse_args()
    args.build = os.path.abspath(args.build)
    if args.size_mib is not None:
        args.size = args.size_mib
    args.fuzz_build = os.path.abspath(args.fuzz_build)
    args.rows = [row for row in args.rows.split(",") if row]
    unknown = set(args.rows) - set(ROWS)
    if unknown:
        parser.error(f"unknown rows: {', '.join(sorted(unknown))}")
    return args


def main():
    args = parse_args()
    if os.environ.get(INNER_MARK) != "1":
        subprocess.run(["ninja", "-C", args.build, "src/signet", "tests/bench/bench-seal",
                        "tests/bench/bench-resolve", "tests/bench/bench-startup",
                        "tests/bench/bench-bare-window"], check=True, stdout=subprocess.DEVNULL)
        if {"names", "resolve"} & set(args.rows):
            keyring()
        # Online to Signet, and nothing reachable: loopback as the default
        # route in a network namespace; a D-Bus session and an X server of
        # its own.
        # A runtime dir of its own: without one, AT-SPI's bus socket is
        # ~/.cache/at-spi/bus, shared with every other session of the user
        # (a test suite running meanwhile would take it over).
        runtime = tempfile.mkdtemp(prefix="sgr.", dir="/tmp")
        env = dict(os.environ, **{INNER_MARK: "1", "XDG_RUNTIME_DIR": runtime})
        script = ("ip link set lo up && ip route add default dev lo && "
                  "exec dbus-run-session -- xvfb-run -a -s '-screen 0 1280x800x24 -noreset' \"$@\"")
        status = subprocess.run(["unshare", "-rn", "sh", "-c", script, "sh", PYTHON, os.path.abspath(__file__),
                                 *sys.argv[1:], "--no-fuzz"], env=env).returncode
        shutil.rmtree(runtime, ignore_errors=True)
        if status != 0:
            return status
        return fuzz(args)
    run(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
