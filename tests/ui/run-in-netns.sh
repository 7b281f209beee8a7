#!/bin/sh
# Runs a UI test script against the real binary inside a new network
# namespace (no network: GNetworkMonitor reports offline), with its own
# D-Bus session, X server and runtime directory (the accessibility bus's
# socket lives there; without one it would be a path every session on the
# machine shares), so it sees nothing of the host's.
# usage: run-in-netns.sh SCRIPT BINARY SCHEMA_DIR
set -eu
runtime=$(mktemp -d "${TMPDIR:-/tmp}/sgrt.XXXXXX")
trap 'rm -rf "$runtime"' EXIT
trap 'exit 143' TERM INT
status=0
XDG_RUNTIME_DIR=$runtime unshare -rn sh -c 'exec dbus-run-session -- xvfb-run -a -s "-screen 0 1280x800x24 -noreset" /usr/bin/python3 "$@"' \
  sh "$@" || status=$?
exit $status
