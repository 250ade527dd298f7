#!/usr/bin/env bash
# Installs the Debian packages the build and the tests need (Chromium for the end-to-end tests,
# libsecret for keytar, gnome-keyring + D-Bus for the real keychain tests, Xvfb for headed runs,
# unzip to check exported ZIPs with a reader that is not ours).
# Does nothing when they are all there already.
set -euo pipefail
packages=(chromium xvfb xauth libsecret-1-dev gnome-keyring dbus curl unzip)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && { echo "System packages: all present."; exit 0; }
echo "Installing system packages: ${missing[*]}"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
