#!/usr/bin/env bash
# The README's first command: installs what is missing, builds Signet and
# opens the compose window on the embedded default (the demo directory and
# the local store). Extra arguments are passed on to signet.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

./build-aux/install-deps.sh
[ -d _build ] || meson setup _build -Dbuildtype=debugoptimized
ninja -C _build
export GSETTINGS_SCHEMA_DIR="$top/_build/data"
exec ./_build/src/signet --demo "$@"
