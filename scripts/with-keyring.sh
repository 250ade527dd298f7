#!/usr/bin/env bash
# Run a command inside a private D-Bus session with an unlocked gnome-keyring whose files live in a
# temp dir, so keychain tests exercise the real Secret Service without touching the user's keyring.
# Usage: bash scripts/with-keyring.sh npx vitest run tests/unit/keychain
set -eu
for tool in dbus-run-session gnome-keyring-daemon; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "with-keyring.sh: $tool is missing (apt-get install -y dbus gnome-keyring libsecret-1-dev)" >&2
    exit 127
  fi
done
KR=$(mktemp -d); mkdir -p "$KR/data" "$KR/run"; chmod 700 "$KR/run"
trap 'rm -rf "$KR"' EXIT
export XDG_DATA_HOME="$KR/data" XDG_RUNTIME_DIR="$KR/run" XDG_CACHE_HOME="$KR/cache"
dbus-run-session -- sh -c 'printf pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null && exec "$@"' sh "$@"
