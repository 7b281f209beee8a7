#!/bin/sh
# Runs a UI test script against the real binary inside a new network
# namespace (no network: GNetworkMonitor reports offline), with its own
# D-Bus session and X server, so it sees nothing of the host's.
# usage: run-in-netns.sh SCRIPT BINARY SCHEMA_DIR
set -eu
exec unshare -rn sh -c 'exec dbus-run-session -- xvfb-run -a -s "-screen 0 1280x800x24 -noreset" /usr/bin/python3 "$@"' \
  sh "$@"
