#!/usr/bin/env bash
# Make sure Debian's Chromium and ChromeDriver are on this machine, for the dashboard's
# browser tests (e2e/browser_test.go drives Chromium with chromedp; ChromeDriver is not
# needed by chromedp, but the issue asks for Debian's pair, which stay in step).
# Idempotent: does nothing when both are installed and Chromium runs. Needs root to
# install. The tests find the browser at /usr/bin/chromium, or at OCTOPOST_CHROMIUM.
set -euo pipefail

installed() {
  command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1 &&
    chromium --version >/dev/null 2>&1
}

if installed; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "ensure-chromium: chromium is not installed and we are not root; install the Debian packages chromium and chromium-driver" >&2
  exit 1
fi

echo "ensure-chromium: installing chromium and chromium-driver" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update
# fonts-dejavu-core: text in screenshots needs a font with Latin glyphs.
apt-get install -y --no-install-recommends chromium chromium-driver fonts-dejavu-core
if ! installed; then
  echo "ensure-chromium: chromium and chromium-driver were installed but chromium does not run" >&2
  exit 1
fi
chromium --version >&2
