#!/usr/bin/env bash
# Screenshots of every demo site as visitors see them, for reviewers to see
# the brands side by side: each site's home page, one inner page and one data
# page (members, tour schedule, links) at phone (390x844) and desktop
# (1366x900) sizes, with headless Chromium, into docs/screenshots/.
#
# usage: bash scripts/screenshots.sh [OUT_DIR]
#        SITEGEN_BIN=target/debug/sitegen bash scripts/screenshots.sh   (skip the release build)
# needs: chromium (Debian package), a Rust toolchain.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-docs/screenshots}"
mkdir -p "$out"
port=4391
bin="${SITEGEN_BIN:-}"
if [ -z "$bin" ]; then
  cargo build --release --quiet --bin sitegen
  bin=./target/release/sitegen
fi
"$bin" serve --port "$port" >/tmp/sitegen-screenshots.log 2>&1 &
serve=$!
trap 'kill $serve 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -sf -o /dev/null "http://127.0.0.1:$port/_/cocotte.maison/" && break
  sleep 0.2
done
shots=(
  "cocotte.maison home /"
  "cocotte.maison about /a-propos/"
  "cocotte.maison member /members/margot-lune/"
  "sansonnet.maison home /"
  "sansonnet.maison services /prestations/"
  "sansonnet.maison member /members/lea-fournier/"
  "adulttherapytour.com home /"
  "adulttherapytour.com workshop /workshop/"
  "adulttherapytour.com schedule /tour/"
  "adulttherapytour.com leg /tour/madrid/"
  "transquinnftw.com home /"
  "transquinnftw.com gallery /gallery/"
  "transquinnftw.com links /links/"
)
for shot in "${shots[@]}"; do
  read -r domain name path <<<"$shot"
  for size in 390x844 1366x900; do
    file="$out/$domain-$name-${size%%x*}.png"
    chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
      --window-size="${size/x/,}" --screenshot="$file" \
      "http://$domain.localhost:$port$path" 2>/dev/null
    echo "$file"
  done
done
