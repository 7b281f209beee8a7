#!/usr/bin/env bash
# Builds a Flatpak runtime + SDK (org.signet.LocalPlatform) from this Debian
# system's /usr and installs it into a private Flatpak user installation, so
# Signet's Flatpak can be built, installed and run here without downloading
# the GNOME runtime. Cached: rebuilt only when the system's packages change.
#
# The installation is $SIGNET_FLATPAK_CACHE/user (default
# /var/cache/signet-flatpak); use it with FLATPAK_USER_DIR.
set -euo pipefail

cache=${SIGNET_FLATPAK_CACHE:-/var/cache/signet-flatpak}
export FLATPAK_USER_DIR="$cache/user"
key=$(dpkg-query -W -f='${Package} ${Version}\n' | sha256sum | cut -c1-16)
stamp="$cache/runtime-$key"

if [ -f "$stamp" ] && flatpak --user info org.signet.LocalPlatform//1 >/dev/null 2>&1; then
  exit 0
fi

echo "Building the local Flatpak runtime from /usr (a few minutes, once)…"
rm -rf "$cache/rt" "$cache/repo" "$cache"/runtime-*
flatpak --user uninstall -y --noninteractive org.signet.LocalPlatform//1 >/dev/null 2>&1 || true
mkdir -p "$cache/rt/files/etc"
# Left out: documentation, other languages' toolchains and SDKs, GPU drivers
# (the tests render with cairo) and the system's own translations.
tar -C /usr -cf - --exclude=./local --exclude=./share/doc --exclude=./share/man --exclude=./share/info \
    --exclude=./share/help --exclude=./share/gtk-doc --exclude=./share/locale --exclude=./share/fpcsrc \
    --exclude=./share/package-lists --exclude=./lib/debug --exclude=./lib/jvm --exclude=./lib32 \
    --exclude=./src --exclude=./lib/google-cloud-sdk --exclude=./lib/postgresql --exclude='./lib/llvm-*' \
    --exclude=./lib/x86_64-linux-gnu/fpc --exclude=./lib/x86_64-linux-gnu/dri \
    --exclude='./lib/x86_64-linux-gnu/libLLVM-*' --exclude='./lib/x86_64-linux-gnu/libclang*' . \
  | tar -C "$cache/rt/files" -xpf -
# Translations of the system's own programs are left out; Signet's are its own.
for e in alternatives fonts ssl ca-certificates ld.so.conf ld.so.conf.d nsswitch.conf xdg mime.types \
         gai.conf protocols services profile shells locale.alias host.conf X11 debian_version; do
  [ -e "/etc/$e" ] && cp -a "/etc/$e" "$cache/rt/files/etc/"
done
rm -f "$cache/rt/files/etc/os-release"
cp /usr/lib/os-release "$cache/rt/files/etc/"
rm -rf "$cache/rt/files/etc/xdg/systemd"
printf '[Runtime]\nname=org.signet.LocalPlatform\nruntime=org.signet.LocalPlatform/x86_64/1\nsdk=org.signet.LocalPlatform/x86_64/1\n' \
  > "$cache/rt/metadata"
flatpak build-export --runtime --files=files "$cache/repo" "$cache/rt" 1
flatpak --user remote-add --if-not-exists --no-gpg-verify signet-local "$cache/repo"
flatpak --user install -y --noninteractive --reinstall signet-local org.signet.LocalPlatform//1
rm -rf "$cache/rt"
touch "$stamp"
