#!/usr/bin/env bash
# Benchmark: a clean build of the same generated corpus (default 10,000 pages)
# by sitegen and by Hugo, three runs each, wall time and peak memory (max RSS).
#
#   bash bench/run.sh [PAGES]
#
# Needs: python3, GNU time (/usr/bin/time), hugo (Debian package `hugo`).
set -euo pipefail
cd "$(dirname "$0")/.."
pages=${1:-10000}
out=bench/out
runs=3

cargo build --release --quiet
python3 bench/gen_corpus.py "$out" "$pages"
sitegen=$PWD/target/release/sitegen

measure() { # label, then the timed command; {i} in arguments becomes the run number
  local label=$1; shift
  for i in $(seq "$runs"); do
    sync; sleep 2   # let earlier writes settle so runs do not pay for each other
    local args=()
    for a in "$@"; do args+=("${a//\{i\}/$i}"); done
    /usr/bin/time -f "%e %M" -o "$out/time.txt" "${args[@]}" >/dev/null 2>"$out/stderr.txt" || { cat "$out/stderr.txt"; exit 1; }
    read -r secs kb < "$out/time.txt"
    printf '%-36s run %d: %6.2f s  %7.1f MiB peak\n' "$label" "$i" "$secs" "$(echo "$kb / 1024" | bc -l)"
  done
}

echo "corpus: $pages pages in 20 sections ($(du -sh "$out/sitegen/content" | cut -f1) of markdown)"
echo "machine: $(nproc) cores, $("$sitegen" --version), $(hugo version 2>/dev/null | cut -d' ' -f1-2)"
# Clean builds write into a fresh folder each run (deleting 10,000 files first
# would make the next run pay for the disk's discard work).
measure "sitegen build (clean)" "$sitegen" --root "$out/sitegen" --out "$out/runs/sitegen-{i}" -q build bench.example
measure "sitegen rebuild (one page edited)" sh -c "echo >> '$out/sitegen/content/bench.example/section-3/page-3.md' && '$sitegen' --root '$out/sitegen' --out '$out/runs/sitegen-1' -q build bench.example"
if command -v hugo >/dev/null; then
  measure "hugo build (clean)" hugo --quiet -s "$out/hugo" -d "$PWD/$out/runs/hugo-{i}"
else
  echo "hugo not installed: apt-get install hugo"
fi
# The same builds with output on tmpfs: generator work without the disk.
shm=/dev/shm/sitegen-bench
measure "sitegen build (clean, tmpfs out)" "$sitegen" --root "$out/sitegen" --out "$shm/sg-{i}" -q build bench.example
if command -v hugo >/dev/null; then
  measure "hugo build (clean, tmpfs out)" hugo --quiet -s "$out/hugo" -d "$shm/hugo-{i}"
fi
echo "outputs: sitegen $(find "$out/runs/sitegen-1/bench.example/public" -name '*.html' | wc -l) HTML files, hugo $(find "$out/runs/hugo-1" -name '*.html' | wc -l) HTML files"
rm -rf "$shm" "$out/runs"
