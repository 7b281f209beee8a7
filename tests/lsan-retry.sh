#!/bin/sh
# Runs an in-process test program (its arguments follow) and, only when
# LeakSanitizer itself crashed while looking for leaks at the end, runs it
# once more. The LeakSanitizer of GCC 12 (Debian 12) now and then crashes
# scanning a thread's thread-local storage ("Tracer caught signal 11" in
# ScanRangeForPointers) after GTK has loaded librsvg or enchant its
# providers; the program then fails with no leak and no failed test. Any
# other failure, a leak report included, is the result as it is; so is
# the second run's, whatever it is. Standard output (the TAP stream) is
# passed on from the run that counts.
out=$(mktemp) || exit 1
err=$(mktemp) || exit 1
trap 'rm -f "$out" "$err"' EXIT
"$@" >"$out" 2>"$err"
status=$?
if [ "$status" -ne 0 ] && grep -q '^Tracer caught signal' "$err" &&
   grep -q 'LeakSanitizer has encountered a fatal error' "$err" &&
   ! grep -q 'ERROR: LeakSanitizer: detected memory leaks' "$err" &&
   ! grep -q '^not ok' "$out"; then
  echo "LeakSanitizer crashed looking for leaks; running the tests again:" >&2
  cat "$err" >&2
  exec "$@"
fi
cat "$out"
cat "$err" >&2
exit "$status"
