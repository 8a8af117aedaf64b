#!/usr/bin/env bash
# Image pipeline benchmark: one site whose gallery page shows 50 real-size
# photos (4000×3000 JPEGs, ~12 MP, generated deterministically), built cold
# (empty image cache: decode, orient, resize to 3 widths, encode WebP + JPEG)
# and warm (every variant a cache hit). Wall time and peak memory (max RSS).
#
#   bash bench/images.sh [PHOTOS]
#
# Needs: GNU time (/usr/bin/time).
set -euo pipefail
cd "$(dirname "$0")/.."
photos=${1:-50}
out=bench/out/images
runs=3

cargo build --release --quiet --bin sitegen --example gen_photos
sitegen=$PWD/target/release/sitegen
rm -rf "$out" && mkdir -p "$out"
ws=$out/ws
mkdir -p "$ws/sites/img.example" "$ws/content/img.example/photos" "$ws/data/platform"
cp -r templates themes "$ws/"
cp -r data/platform/quinn-avery "$ws/data/platform/"
echo "output_dir: dist" > "$ws/sitegen.yaml"
cat > "$ws/sites/img.example/site.yaml" <<YAML
domain: img.example
kind: provider-site
theme: atelier
tenant: {kind: person, slug: quinn-avery}
brand: {name: Image bench}
YAML
target/release/examples/gen_photos "$ws/content/img.example/photos" "$photos" 4000 3000
{
  printf -- '---\ntitle: Photos\n---\n'
  for f in "$ws"/content/img.example/photos/*.jpg; do
    printf '![Photo %s](photos/%s)\n\n' "$(basename "$f" .jpg)" "$(basename "$f")"
  done
} > "$ws/content/img.example/_index.md"

measure() { # label, setup command, then the timed command
  local label=$1 setup=$2; shift 2
  for i in $(seq "$runs"); do
    sh -c "$setup"
    sync; sleep 1
    /usr/bin/time -f "%e %U %S %M" -o "$out/time.txt" "$@" >/dev/null 2>"$out/stderr.txt" || { cat "$out/stderr.txt"; exit 1; }
    read -r secs user sys kb < "$out/time.txt"
    printf '%-30s run %d: %6.2f s wall  %6.2f s CPU  %7.1f MiB peak\n' "$label" "$i" "$secs" "$(echo "$user + $sys" | bc -l)" "$(echo "$kb / 1024" | bc -l)"
  done
}

echo "corpus: $photos photos, $(du -sh "$ws/content/img.example/photos" | cut -f1) of JPEG, $(nproc) cores"
measure "images cold (empty cache)" "rm -rf '$ws/.sitegen' '$ws/dist'" "$sitegen" --root "$ws" -q build img.example
measure "images warm (cache hits)" "true" "$sitegen" --root "$ws" -q build img.example
echo "variants published: $(find "$ws/dist/img.example/public/assets/images" -type f | wc -l), $(du -sh "$ws/dist/img.example/public/assets/images" | cut -f1)"
