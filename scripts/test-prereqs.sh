#!/usr/bin/env bash
# Things the test suite needs beyond Python packages; each step is idempotent and quick
# when already done.
set -euo pipefail

# Debian's Chromium for the admin's real-browser test (Playwright drives it; Playwright
# never downloads a browser of its own). Installed only when missing and we are root.
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "test-prereqs: installing Debian chromium" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    apt-get install -y -q --no-install-recommends chromium >/dev/null
  else
    echo "test-prereqs: /usr/bin/chromium is missing; the browser test will be skipped" >&2
  fi
fi
