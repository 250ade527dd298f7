#!/usr/bin/env bash
# `npm test`: every check, in the order that fails fastest. Runs all stages, then prints one summary line.
# The unit and end-to-end tests run inside a private D-Bus session with an unlocked gnome-keyring,
# so the keychain is tested for real (scripts/with-keyring.sh).
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p test-results
failed_stages=()

stage() {
  local name=$1; shift
  echo "::: $name"
  local start=$SECONDS
  if "$@"; then echo "::: $name ok ($((SECONDS - start)) s)"; else failed_stages+=("$name"); echo "::: $name FAILED"; fi
}

stage typecheck npm run --silent typecheck
stage lint npm run --silent lint
stage security npm run --silent electronegativity
stage build npx electron-vite build
stage unit bash scripts/with-keyring.sh npx vitest run --reporter=default --reporter=json --outputFile=test-results/unit.json
stage e2e bash scripts/with-keyring.sh npx playwright test

node scripts/summarize-tests.mjs
if [ ${#failed_stages[@]} -gt 0 ]; then
  echo "Failed stages: ${failed_stages[*]}"
  exit 1
fi
