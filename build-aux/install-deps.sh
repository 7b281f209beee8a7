#!/usr/bin/env bash
# Installs the Debian 12 packages Signet needs to build, run and test.
# Does nothing when every package is already present, so repeated runs are fast.
set -euo pipefail

packages=(
  meson ninja-build pkg-config gcc
  libglib2.0-dev libgtk-4-dev libadwaita-1-dev libgpgme-dev libgmime-3.0-dev libsecret-1-dev
  libcurl4-openssl-dev libenchant-2-dev hunspell-en-us libldap-dev
  gettext desktop-file-utils appstream
  gnupg gpg-agent gpgsm
)
if [ "${1:-}" = "--tests" ]; then
  packages+=(
    xvfb xauth dbus dbus-x11 at-spi2-core python3-gi gir1.2-atspi-2.0 gir1.2-gtk-4.0 xdotool
    imagemagick iproute2 util-linux
    gnome-keyring libsecret-tools
    locales flatpak flatpak-builder elfutils appstream-util
    postfix dovecot-core dovecot-imapd openssl curl python3-aiosmtpd
    slapd ldap-utils sks dirmngr python3-gpg hunspell-de-de hunspell-fr
    ca-certificates clang-14 libclang-rt-14-dev
  )
fi

# The translated-UI test runs under de_DE.UTF-8.
ensure_locales () {
  [ "${1:-}" = "--tests" ] || return 0
  locale -a 2>/dev/null | grep -qi '^de_DE\.utf-\?8$' && return 0
  [ "$(id -u)" -eq 0 ] || { echo "The de_DE.UTF-8 locale is missing (run as root to generate it)" >&2; return 1; }
  localedef -i de_DE -c -f UTF-8 de_DE.UTF-8
}

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  ensure_locales "${1:-}"
  exit
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "Missing packages: ${missing[*]} (run as root to install them)" >&2
  exit 1
fi
if ! apt-cache policy "${missing[0]}" | grep -q 'Candidate: [0-9]'; then
  apt-get update -q
fi
# The mail and directory servers the tests start from their own directories
# must not be configured as, or started as, this machine's own: Postfix gets
# "No configuration", and while installing a policy-rc.d refuses every daemon
# start (unless the machine already has its own policy).
echo 'postfix postfix/main_mailer_type select No configuration' | debconf-set-selections
# Nor does slapd get a database of its own (dc=nodomain below /etc/ldap/slapd.d).
echo 'slapd slapd/no_configuration boolean true' | debconf-set-selections
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy"
  chmod 0755 "$policy"
  trap 'rm -f "$policy"' EXIT
fi
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
ensure_locales "${1:-}"
