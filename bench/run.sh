#!/usr/bin/env bash
# Benchmark: clean builds of the same generated corpus (bench/gen_corpus.py:
# tags, pagination, prev/next, latest items, sitemap) by sitegen and by Hugo,
# into a fresh output folder each run, runs alternating between the two.
# Prints every run (wall, CPU = user + system, peak RSS), then medians and
# the sitegen/Hugo ratios.
#
#   bash bench/run.sh [PAGES] [RUNS] [OUT]     defaults: 10000 5 /dev/shm/sitegen-bench
#
# Output goes to OUT (tmpfs by default: this machine's disk makes creating
# thousands of files slow and erratic; tmpfs shows the generators' own work).
# Needs: python3, GNU time (/usr/bin/time), hugo (Debian package `hugo`).
set -euo pipefail
cd "$(dirname "$0")/.."
pages=${1:-10000}
runs=${2:-5}
out=${3:-/dev/shm/sitegen-bench}
corpus=bench/out

cargo build --release --quiet --bin sitegen
python3 bench/gen_corpus.py "$corpus" "$pages"
sitegen=$PWD/target/release/sitegen
command -v hugo >/dev/null || { echo "hugo not installed: apt-get install hugo"; exit 1; }

declare -A wall cpu rss
one() { # label, then the command; one run into a fresh $out
  local label=$1; shift
  rm -rf "$out"; mkdir -p "$out"; sync; sleep 1
  /usr/bin/time -f "%e %U %S %M" -o "$corpus/time.txt" "$@" >/dev/null 2>"$corpus/stderr.txt" \
    || { cat "$corpus/stderr.txt"; exit 1; }
  read -r secs user sys kb < "$corpus/time.txt"
  local c; c=$(echo "$user + $sys" | bc -l)
  printf '%-26s %6.2f s wall  %6.2f s CPU  %7.1f MiB peak\n' "$label" "$secs" "$c" "$(echo "$kb / 1024" | bc -l)"
  wall[$label]+="$secs "; cpu[$label]+="$c "; rss[$label]+="$(echo "$kb / 1024" | bc -l) "
}
median() { tr ' ' '\n' | grep . | sort -g | awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }

echo "corpus: $pages pages in 20 sections, $(du -sh "$corpus/sitegen/content" | cut -f1) of markdown; $(nproc) cores"
echo "$("$sitegen" --version); $(hugo version | cut -d' ' -f1-2); output in $out"
for i in $(seq "$runs"); do
  one sitegen "$sitegen" --root "$corpus/sitegen" --out "$out" -q build bench.example
  one hugo hugo --quiet -s "$corpus/hugo" -d "$out/hugo"
done
rm -rf "$out"
"$sitegen" --root "$corpus/sitegen" --out "$out" -q build bench.example
hugo --quiet -s "$corpus/hugo" -d "$out/hugo"
echo "HTML files: sitegen $(find "$out/bench.example/public" -name '*.html' | wc -l)," \
  "hugo $(find "$out/hugo" -name '*.html' | wc -l) (Hugo's include a page/1/ redirect stub per listing)"
printf '\n%-10s %10s %10s %12s\n' "median" "wall s" "CPU s" "peak MiB"
for t in sitegen hugo; do
  printf '%-10s %10.2f %10.2f %12.1f\n' "$t" "$(echo "${wall[$t]}" | median)" "$(echo "${cpu[$t]}" | median)" "$(echo "${rss[$t]}" | median)"
done
ratio() { echo "scale=3; $(echo "$1" | median) / $(echo "$2" | median)" | bc -l; }
printf '%-10s %10.3f %10.3f %12.3f\n' "ratio" "$(ratio "${wall[sitegen]}" "${wall[hugo]}")" \
  "$(ratio "${cpu[sitegen]}" "${cpu[hugo]}")" "$(ratio "${rss[sitegen]}" "${rss[hugo]}")"
rm -rf "$out"
