#!/usr/bin/env bash
# 200 small sites (30 pages each): one `sitegen build --all` against 200
# consecutive Hugo runs on the same content, wall time, CPU time and peak
# memory, three runs each.
#
#   bash bench/many_sites.sh [SITES] [PAGES]
#
# Needs: python3, GNU time (/usr/bin/time), hugo (Debian package `hugo`).
set -euo pipefail
cd "$(dirname "$0")/.."
sites=${1:-200}
pages=${2:-30}
out=bench/out/many
runs=3
cargo build --release --quiet --bin sitegen
python3 bench/gen_corpus.py "$out" "$pages" --sites "$sites"
sitegen=$PWD/target/release/sitegen

measure() { # label, then the timed command
  local label=$1; shift
  for i in $(seq "$runs"); do
    rm -rf "$out/sitegen/dist" "$out/sitegen/.sitegen" "$out/hugo-out" /dev/shm/sitegen-many
    sync; sleep 1
    /usr/bin/time -f "%e %U %S %M" -o "$out/time.txt" "$@" >/dev/null 2>"$out/stderr.txt" || { cat "$out/stderr.txt"; exit 1; }
    read -r secs user sys kb < "$out/time.txt"
    printf '%-34s run %d: %6.2f s wall  %6.2f s CPU  %7.1f MiB peak\n' "$label" "$i" "$secs" "$(echo "$user + $sys" | bc -l)" "$(echo "$kb / 1024" | bc -l)"
  done
}

echo "corpus: $sites sites × $pages pages, $(nproc) cores, $("$sitegen" --version), $(hugo version 2>/dev/null | cut -d' ' -f1-2)"
# Output on disk, then on tmpfs (this machine's disk makes creating and
# deleting thousands of files slow and erratic; tmpfs shows the generators' work).
measure "sitegen build --all" "$sitegen" --root "$out/sitegen" -q build --all
measure "sitegen build --all (tmpfs out)" "$sitegen" --root "$out/sitegen" --out /dev/shm/sitegen-many -q build --all
if command -v hugo >/dev/null; then
  measure "hugo, one run per site" sh -c "for d in $out/hugo/*/; do hugo --quiet -s \"\$d\" -d \"$PWD/$out/hugo-out/\$(basename \$d)\" || exit 1; done"
  measure "hugo, one run per site (tmpfs)" sh -c "for d in $out/hugo/*/; do hugo --quiet -s \"\$d\" -d \"/dev/shm/sitegen-many/\$(basename \$d)\" || exit 1; done"
else
  echo "hugo not installed: apt-get install hugo"
fi
