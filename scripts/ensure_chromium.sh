#!/usr/bin/env bash
# Kaleido (exports) and the browser tests need Chromium. Install it on Debian when we can;
# anywhere else, stop with the way to get it.
set -euo pipefail

for candidate in "${BROWSER_PATH:-}" /usr/bin/chromium /usr/bin/chromium-browser /usr/bin/google-chrome; do
  if [ -n "$candidate" ] && [ -x "$candidate" ]; then
    exit 0
  fi
done

if [ -f /etc/debian_version ] && [ "$(id -u)" = "0" ]; then
  echo "Chromium is missing: installing Debian's chromium package (used by Kaleido and the browser tests)."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
  exit 0
fi

cat >&2 <<'MSG'
Chromium was not found, and this is not Debian run as root, so it cannot be installed here.
Pulseboard needs it to render chart images (Kaleido) and for the browser tests. Either:
  - install Chromium with your package manager (Debian/Ubuntu: sudo apt-get install chromium), or
  - run .venv/bin/plotly_get_chrome to download one for Kaleido, then set BROWSER_PATH to it.
MSG
exit 1
