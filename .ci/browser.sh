#!/usr/bin/env bash
# Debian's Chromium for the browser tests of `hepvision app` (tests/test_browser*.py).
# Idempotent and non-interactive; Playwright drives /usr/bin/chromium, so no
# `playwright install` (no browser download) is needed. Run as root (CI) or via sudo.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
if [ -x /usr/bin/chromium ]; then
  echo "browser.sh: $(/usr/bin/chromium --version 2>/dev/null | head -n1) already installed"
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq chromium >/dev/null
echo "browser.sh: $(/usr/bin/chromium --version 2>/dev/null | head -n1) installed"
