#!/usr/bin/env bash
# Renders a memsoak HTML report to a PNG with headless Chromium, to look at a page the way a person would.
# For people, not CI (CI does not install Chromium). Needs Debian's chromium: apt-get install -y chromium
#
#   bash scripts/render-html.sh REPORT.html [OUT.png] [WIDTH] [HEIGHT]
#
# OUT.png defaults to REPORT.png; the window is WIDTH x HEIGHT CSS pixels (default 1280 x 4000: tall enough for a
# run's whole page; a suite's page is longer, so give a larger HEIGHT to see all of it). The page is opened from
# the file system, with the network and Chromium's background services off: a memsoak page must need neither.
set -euo pipefail
if [[ $# -lt 1 || $# -gt 4 ]]; then
  echo "usage: $0 REPORT.html [OUT.png] [WIDTH] [HEIGHT]" >&2
  exit 2
fi
page=$(realpath "$1")
out=${2:-${1%.html}.png}
width=${3:-1280}
height=${4:-4000}
browser=$(command -v chromium || command -v chromium-browser || true)
if [[ -z "$browser" ]]; then
  echo "$0: chromium not found; install it with: apt-get install -y chromium" >&2
  exit 2
fi
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
# --no-sandbox: Chromium's sandbox refuses to run as root, which is how CI machines and containers run it.
"$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
  --disable-component-update --disable-sync --hide-scrollbars --user-data-dir="$profile" \
  --window-size="$width,$height" --screenshot="$(realpath -m "$out")" "file://$page" 2>/dev/null
echo "$out"
