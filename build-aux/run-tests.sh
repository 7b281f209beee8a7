#!/usr/bin/env bash
# The README's test command: installs what is missing, builds Signet
# (a normal build and an AddressSanitizer/UBSan build, both with warnings as
# errors) and runs the whole suite on each under a private D-Bus session and
# X server; the development profile's build runs the packaging checks, and a
# clang build runs the libFuzzer targets briefly. Ends with one line "N passed, N failed[, N skipped]" counted from
# meson's own test log, and exits non-zero if anything failed.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

./build-aux/install-deps.sh --tests || { echo "0 passed, 1 failed"; exit 1; }

passed=0 failed=0 skipped=0
status=0

count_results () {
  # testlog.json has one JSON object per test with meson's verdict.
  read -r p f s < <(/usr/bin/python3 - "$1/meson-logs/testlog.json" <<'PY'
import json, sys
p = f = s = 0
try:
    with open(sys.argv[1], encoding="utf-8") as log:
        for line in log:
            result = json.loads(line).get("result")
            if result in ("OK", "EXPECTEDFAIL"):
                p += 1
            elif result == "SKIP":
                s += 1
            else:
                f += 1
except FileNotFoundError:
    f = 1
print(p, f, s)
PY
  )
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
}

run_suite () {
  local build=$1 suite=$2; shift 2
  echo "== $build: configure and build"
  if [ -d "$build" ]; then
    meson setup --reconfigure "$build" "$@" >/dev/null || return 1
  else
    meson setup "$build" "$@" >/dev/null || return 1
  fi
  ninja -C "$build" || return 1
  rm -f "$build/meson-logs/testlog.json"
  echo "== $build: tests"
  dbus-run-session -- xvfb-run -a -s "-screen 0 1280x800x24 -noreset" \
    meson test -C "$build" --print-errorlogs --num-processes 2 $suite
}

run_suite _build "" -Dbuildtype=debugoptimized --werror || status=1
count_results _build
run_suite _build-asan "--no-suite flatpak" -Dbuildtype=debug -Db_sanitize=address,undefined -Db_lundef=false --werror || status=1
count_results _build-asan
# The development profile: its own app id, files and validators.
run_suite _build-devel "--suite data" -Dprofile=development --werror || status=1
count_results _build-devel

# The fuzzing build: the core and its libFuzzer targets under clang, each
# target run for a few seconds over its seeds (build-aux/fuzz.py runs them long).
CC=clang-14 run_suite _build-fuzz "--suite fuzz" -Dfuzzing=true -Db_sanitize=none -Dbuildtype=debugoptimized --werror || status=1
count_results _build-fuzz

# Anything a test left behind (a gpg-agent of a crashed test) goes with it.
pkill -f 'gpg-agent --homedir /tmp/sg' 2>/dev/null || true

[ "$failed" -eq 0 ] || status=1
if [ "$skipped" -gt 0 ]; then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
exit $status
