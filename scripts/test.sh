#!/usr/bin/env bash
# The one test command (npm test): installs what the tests need when it is
# missing, type-checks, then runs the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."

# System packages the integration tests need (Debian names): the OAuth consent
# page is clicked through in a real Chromium and its screenshot read back by OCR.
SYSTEM_PACKAGES=(chromium tesseract-ocr prosody)

missing=()
for pkg in "${SYSTEM_PACKAGES[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "Installing test dependencies: ${missing[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
  else
    echo "The tests need these Debian packages: ${missing[*]}" >&2
    echo "Install them with: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

npx tsc --noEmit -p .
# The full run also proves every API operation was exercised (see test/global-setup.ts).
if [ $# -eq 0 ]; then export SWITCHBOARD_REQUIRE_ALL_OPERATIONS=1; fi
npx vitest run "$@"
