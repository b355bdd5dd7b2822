#!/usr/bin/env bash
# Installs the feed clients tests/test_clients.py reads the built feeds with, beyond the
# Python ones in the test extra: Node.js and npm from Debian, then the JavaScript feed
# parsers pinned by tests/js/package-lock.json into tests/js/node_modules (git-ignored),
# with playwright-core, which tests/test_browser.py drives Debian's Chromium with
# (playwright-core downloads no browser of its own).
# Run as root (CI is); safe to run again. .ci/run calls it before the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq nodejs npm >/dev/null
fi
node --version
# npm ci: exactly the locked versions, node_modules replaced from scratch.
npm ci --prefix tests/js --no-audit --no-fund --loglevel=error
