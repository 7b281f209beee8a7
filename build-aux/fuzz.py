#!/usr/bin/python3
"""The long fuzzing run: every libFuzzer target of Signet to at least a
million executions, two at a time (one per core).

usage: build-aux/fuzz.py [BUILD_DIR] [--runs N] [--jobs N] [--target NAME ...]

BUILD_DIR (default _build-fuzz) is a fuzzing build; it is configured when it
does not exist (CC=clang-14 meson setup BUILD_DIR -Dfuzzing=true
-Db_sanitize=none -Dbuildtype=debugoptimized --werror) and built either way.
Each target (BUILD_DIR/tests/fuzz/fuzz-NAME, from tests/fuzz/fuzz-NAME.c)
starts from its seeds (tests/fuzz/corpus/NAME) and past crashes
(tests/fuzz/regressions/NAME) and adds what it finds to a corpus of its own in
BUILD_DIR/tests/fuzz/corpus-NAME, so a second run goes on from the first.

Prints, per target, the executions, the time taken and whether it crashed
(or broke a property it checks); the input that did is left in
BUILD_DIR/tests/fuzz/crash-NAME-*, and its log in
BUILD_DIR/tests/fuzz/fuzz-NAME.log. Exits non-zero if any target crashed.
A crash becomes a regression test by copying the input into
tests/fuzz/regressions/NAME/ (every build then replays it in the core suite).

build-aux/benchmark.py runs it as `build-aux/fuzz.py BUILD_DIR`."""

import argparse
import concurrent.futures
import glob
import json
import os
import re
import subprocess
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FUZZ_SRC = os.path.join(TOP, "tests", "fuzz")


def ensure_build(build):
    if not os.path.exists(os.path.join(build, "build.ninja")):
        env = dict(os.environ, CC="clang-14")
        subprocess.run(["meson", "setup", build, "-Dfuzzing=true", "-Db_sanitize=none",
                        "-Dbuildtype=debugoptimized", "--werror"], cwd=TOP, env=env, check=True)
    options = json.loads(subprocess.run(["meson", "introspect", "--buildoptions", build],
                                        capture_output=True, text=True, check=True).stdout)
    if not any(o["name"] == "fuzzing" and o["value"] is True for o in options):
        sys.exit(f"{build} is not a fuzzing build (-Dfuzzing=true)")
    subprocess.run(["ninja", "-C", build, "-j2"], check=True)


def run_target(build, name, runs):
    out_dir = os.path.join(build, "tests", "fuzz")
    corpora = [os.path.join(out_dir, "corpus-" + name), os.path.join(FUZZ_SRC, "corpus", name)]
    regressions = os.path.join(FUZZ_SRC, "regressions", name)
    if os.path.isdir(regressions):
        corpora.append(regressions)
    os.makedirs(corpora[0], exist_ok=True)
    log_path = os.path.join(out_dir, "fuzz-" + name + ".log")
    env = dict(os.environ,
               LC_ALL="C.UTF-8", GIO_USE_VFS="local",
               LSAN_OPTIONS="suppressions=" + os.path.join(TOP, "tests", "lsan.supp"),
               # libFuzzer checks each input for leaks; at exit, after a
               # million inputs, LSan would also see GLib's and GMime's
               # process-lifetime tables (grown by what the inputs named),
               # with stacks that end in GLib and cannot tell them apart.
               ASAN_OPTIONS="leak_check_at_exit=0",
               UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1")
    command = [os.path.join(out_dir, "fuzz-" + name), f"-runs={runs}", "-error_exitcode=1", "-timeout=30",
               "-rss_limit_mb=2048", "-print_final_stats=1",
               "-artifact_prefix=" + os.path.join(out_dir, "crash-" + name + "-")] + corpora
    start = time.monotonic()
    with open(log_path, "w") as log:
        status = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, env=env).returncode
    seconds = time.monotonic() - start
    with open(log_path, errors="replace") as log:
        text = log.read()
    executed = re.findall(r"stat::number_of_executed_units: (\d+)", text)
    return {"name": name, "runs": int(executed[-1]) if executed else 0, "seconds": seconds,
            "crashed": status != 0, "log": log_path, "tail": text[-3000:]}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("build", nargs="?", default=os.path.join(TOP, "_build-fuzz"))
    parser.add_argument("--runs", type=int, default=1000000, help="executions per target (default 1000000)")
    parser.add_argument("--jobs", type=int, default=2, help="targets run at once (default 2)")
    parser.add_argument("--target", action="append", help="only this target (NAME of fuzz-NAME); repeatable")
    args = parser.parse_args()
    build = os.path.abspath(args.build)

    ensure_build(build)
    names = sorted(os.path.basename(p)[len("fuzz-"):]
                   for p in glob.glob(os.path.join(build, "tests", "fuzz", "fuzz-*"))
                   if os.access(p, os.X_OK) and not p.endswith(".log") and os.path.isfile(p))
    if args.target:
        names = [n for n in names if n in args.target]
    if not names:
        sys.exit("no fuzz targets in " + build)
    print(f"{len(names)} targets, {args.runs} executions each, {args.jobs} at a time", flush=True)
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = [pool.submit(run_target, build, name, args.runs) for name in names]
        results = []
        for future in concurrent.futures.as_completed(futures):
            r = future.result()
            results.append(r)
            print(f"  {r['name']}: {'CRASHED' if r['crashed'] else 'done'} after {r['runs']} executions "
                  f"in {r['seconds']:.0f} s", flush=True)
    print()
    print(f"{'target':<20} {'executions':>12} {'seconds':>9} {'exec/s':>9}  result")
    for r in sorted(results, key=lambda r: r["name"]):
        rate = r["runs"] / r["seconds"] if r["seconds"] > 0 else 0
        print(f"{r['name']:<20} {r['runs']:>12} {r['seconds']:>9.0f} {rate:>9.0f}  "
              f"{'CRASHED' if r['crashed'] else 'ok'}")
    crashed = [r for r in results if r["crashed"]]
    for r in crashed:
        print(f"\n== {r['name']} crashed; log: {r['log']}\n{r['tail']}")
    short = [r for r in results if not r["crashed"] and r["runs"] < args.runs]
    for r in short:
        print(f"{r['name']}: only {r['runs']} executions (log: {r['log']})")
    return 1 if crashed or short else 0


if __name__ == "__main__":
    sys.exit(main())
