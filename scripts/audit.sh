#!/usr/bin/env bash
# Audit every page of every demo site the way visitors get them (issue 16):
# Nu HTML Checker (errors and warnings) on the built HTML, and Lighthouse
# (mobile emulation) on each page served by a private nginx running the
# *generated* configs (CSP, caching, gzip_static, redirects, HSTS, TLS).
#
#   bash scripts/audit.sh [OUT_DIR]
#
# OUT_DIR (default: a new /tmp/sitegen-audit.XXXX) receives:
#   ws/            a copy of the workspace (git clone of HEAD; AUDIT_SOURCE=worktree
#                  copies the working tree instead, uncommitted edits included)
#   ws/dist/       the build
#   nginx/         a private copy of Debian's /etc/nginx running the generated configs
#   pages.tsv      domain, URL, built file of every page (sitemap + 404 pages)
#   vnu-errors.json, vnu-all.json   Nu validator output
#   lh/<domain>/<slug>.json         one Lighthouse report per page
#   report.md      the summary (also printed)
#
# Environment knobs:
#   SITEGEN=path            sitegen binary (default: <repo>/target/debug/sitegen; never rebuilt)
#   AUDIT_SOURCE=worktree   audit uncommitted edits (default: HEAD)
#   LH_CATEGORIES=...       categories for every page (default: all four)
#   LH_PERF_PAGES=sample    with "sample", performance only on the home page, one inner page
#                           and one data page per site (faster on small machines); "all" (default)
#   LH_SKIP=1 / VNU_SKIP=1  skip a tool
#   KEEP=1                  leave nginx running (prints how to stop it)
#
# Needs: nginx (Debian's), openssl, curl, java, node + `npm install -g vnu-jar lighthouse`,
# chromium (CHROME_PATH, default /usr/bin/chromium), python3.
set -euo pipefail
export PATH="$PATH:/usr/sbin"

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${1:-$(mktemp -d /tmp/sitegen-audit.XXXX)}"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
SITEGEN="${SITEGEN:-$REPO/target/debug/sitegen}"
CHROME_PATH="${CHROME_PATH:-/usr/bin/chromium}"
export CHROME_PATH
NPM_ROOT="$(npm root -g)"
VNU_JAR="${VNU_JAR:-$NPM_ROOT/vnu-jar/build/dist/vnu.jar}"
LIGHTHOUSE="${LIGHTHOUSE:-$(command -v lighthouse || echo "$NPM_ROOT/lighthouse/cli/index.js")}"
LH_CATEGORIES="${LH_CATEGORIES:-performance,accessibility,best-practices,seo}"
LH_PERF_PAGES="${LH_PERF_PAGES:-all}"
PY="$(dirname "${BASH_SOURCE[0]}")/audit.py"
PY="$(cd "$(dirname "$PY")" && pwd)/audit.py"

log() { printf '\033[1m== %s\033[0m\n' "$*" >&2; }
die() { printf 'audit: %s\n' "$*" >&2; exit 1; }

[ -x "$SITEGEN" ] || die "no $SITEGEN: run 'cargo build' once in $REPO (or set SITEGEN=)"
command -v nginx >/dev/null || die "nginx is not installed"
[ -f /etc/nginx/nginx.conf ] || die "/etc/nginx/nginx.conf missing (Debian's nginx)"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# ---------------------------------------------------------------- workspace
WS="$OUT/ws"
rm -rf "$WS"
if [ "${AUDIT_SOURCE:-head}" = worktree ]; then
    log "copying the working tree of $REPO (uncommitted edits included)"
    mkdir -p "$WS"
    (cd "$REPO" && git ls-files -z --cached --others --exclude-standard | grep -zv '^dist/' |
        xargs -0 tar -cf - 2>/dev/null) | tar -xf - -C "$WS"
else
    log "cloning HEAD of $REPO ($(git -C "$REPO" rev-parse --short HEAD))"
    git clone -q "$REPO" "$WS"
fi

HTTP_PORT="$(free_port)"
HTTPS_PORT="$(free_port)"
while [ "$HTTPS_PORT" = "$HTTP_PORT" ]; do HTTPS_PORT="$(free_port)"; done
NG="$OUT/nginx"
rm -rf "$NG" "$OUT/srv" "$OUT/certs" "$OUT/acme"
mkdir -p "$OUT/certs" "$OUT/acme/.well-known/acme-challenge" "$OUT/srv"

# Point the generated configs at private ports, certs, webroot and targets the
# way tests/testsuite/nginx.rs does: through sitegen's own settings, so the
# configs are exactly what sitegen generates (only ports/paths differ).
grep -q '^nginx:' "$WS/sitegen.yaml" && die "$WS/sitegen.yaml already has an nginx: block; adapt the script"
cat >>"$WS/sitegen.yaml" <<EOF
nginx:
  http_listen: "127.0.0.1:$HTTP_PORT"
  https_listen: "127.0.0.1:$HTTPS_PORT"
  ipv6: false
  acme_webroot: $OUT/acme
  cert_dir: $OUT/certs
EOF
DOMAINS=()
while read -r d _; do DOMAINS+=("$d"); done < <(cd "$WS" && "$SITEGEN" list)
[ "${#DOMAINS[@]}" -gt 0 ] || die "sitegen list printed no sites"
for d in "${DOMAINS[@]}"; do
    y="$WS/sites/$d/site.yaml"
    grep -q '^  target:' "$y" || die "$y has no '  target:' line"
    sed -i "s|^  target:.*|  target: $OUT/srv/$d|" "$y"
done

log "building ${DOMAINS[*]}"
(cd "$WS" && "$SITEGEN" build --all) 2>&1 | tee "$OUT/build.log" >&2

# ---------------------------------------------------------------- certificate
# One self-signed certificate naming every host of every config, copied to each
# <cert_dir>/<cert_name>/ the configs refer to. Chromium is told to ignore
# certificate errors; curl uses -k.
HOSTS="$(cat "$WS"/dist/*/nginx/*.conf | sed -n 's/^ *server_name \(.*\);/\1/p' | tr ' ' '\n' | sort -u)"
SAN="$(printf 'DNS:%s,' $HOSTS)"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=sitegen-audit" \
    -addext "subjectAltName=${SAN%,}" -keyout "$OUT/certs/self.key" -out "$OUT/certs/self.pem" 2>/dev/null
for f in $(cat "$WS"/dist/*/nginx/*.conf | sed -n 's/^ *ssl_certificate\(_key\)\? "\?\([^";]*\)"\?;/\2/p' | sort -u); do
    mkdir -p "$(dirname "$f")"
    case "$f" in *privkey*|*key*) cp "$OUT/certs/self.key" "$f" ;; *) cp "$OUT/certs/self.pem" "$f" ;; esac
done

# ---------------------------------------------------------------- nginx
# A private copy of Debian's stock /etc/nginx (as the tests use), with our own
# pid, logs and temp paths; the generated configs go into its conf.d/ as
# docs/deploy.md says, and <target>/current points at each build.
cp -rL /etc/nginx "$NG"
mkdir -p "$NG/logs" "$NG/run" "$NG/tmp"
USER_LINE=""
[ "$(id -u)" = 0 ] && USER_LINE="user root;"
python3 - "$NG" "$USER_LINE" "$HTTP_PORT" <<'EOF'
import sys, pathlib
ng, user, http = sys.argv[1], sys.argv[2], sys.argv[3]
p = pathlib.Path(ng, "nginx.conf"); t = p.read_text()
for a, b in [("user www-data;", user), ("/etc/nginx/", ng + "/"),
             ("pid /run/nginx.pid;", f"pid {ng}/run/nginx.pid;"), ("/var/log/nginx/", ng + "/logs/"),
             ("http {\n", "http {\n" + "".join(f"\t{k}_temp_path {ng}/tmp/{k};\n" for k in
                                               ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]))]:
    assert a in t, a
    t = t.replace(a, b, 1) if a == "http {\n" else t.replace(a, b)
p.write_text(t)
p = pathlib.Path(ng, "sites-enabled/default")
if p.exists():
    t = p.read_text().replace("listen 80 default_server;", f"listen 127.0.0.1:{http} default_server;") \
                     .replace("listen [::]:80 default_server;", "")
    p.write_text(t)
EOF
for d in "${DOMAINS[@]}"; do
    cp "$WS/dist/$d/nginx/"*.conf "$NG/conf.d/"
    mkdir -p "$OUT/srv/$d"
    ln -sfn "$WS/dist/$d/public" "$OUT/srv/$d/current"
done
NGINX=(nginx -c "$NG/nginx.conf" -p "$NG/")
"${NGINX[@]}" -t -q 2>&1 || die "nginx -t failed on the generated configs"
stop_nginx() {
    if [ -f "$NG/run/nginx.pid" ]; then
        kill -QUIT "$(cat "$NG/run/nginx.pid")" 2>/dev/null || true
    fi
}
if [ -z "${KEEP:-}" ]; then trap stop_nginx EXIT; fi
"${NGINX[@]}"
for _ in $(seq 100); do curl -sk -o /dev/null "https://127.0.0.1:$HTTPS_PORT/" 2>/dev/null && break || sleep 0.1; done
log "nginx: http 127.0.0.1:$HTTP_PORT, https 127.0.0.1:$HTTPS_PORT (logs in $NG/logs)"

RULES=""
for h in $HOSTS; do RULES+="MAP $h 127.0.0.1:$HTTPS_PORT,"; done
RULES="${RULES%,}"
RESOLVE=()
for h in $HOSTS; do RESOLVE+=(--resolve "$h:443:127.0.0.1"); done
echo "$HTTPS_PORT" >"$OUT/https_port"
echo "$RULES" >"$OUT/host-resolver-rules"

# ---------------------------------------------------------------- pages
# Every <loc> of each sitemap, plus the 404 page(s) as visitors get them:
# a missing URL under / (and under a language prefix that has its own 404.html).
python3 "$PY" pages "$WS/dist" >"$OUT/pages.tsv"
log "$(wc -l <"$OUT/pages.tsv") pages"

# Headers of each home page and 404 through nginx (what Lighthouse sees).
{
    for d in "${DOMAINS[@]}"; do
        for path in / /robots.txt /audit-missing-page/; do
            echo "### https://$d$path"
            curl -sk -D - -o /dev/null -H 'Accept-Encoding: gzip' --connect-to "$d:443:127.0.0.1:$HTTPS_PORT" "https://$d$path" | tr -d '\r'
        done
        echo "### http://$d/ (port-80 server)"
        curl -s -D - -o /dev/null --connect-to "$d:80:127.0.0.1:$HTTP_PORT" "http://$d/" | tr -d '\r'
    done
} >"$OUT/headers.txt"

# ---------------------------------------------------------------- Nu validator
if [ -z "${VNU_SKIP:-}" ]; then
    [ -f "$VNU_JAR" ] || die "no $VNU_JAR: npm install -g vnu-jar"
    mapfile -t HTML < <(cut -f3 "$OUT/pages.tsv" | sort -u)
    log "Nu validator on ${#HTML[@]} files"
    java -jar "$VNU_JAR" --format json --errors-only "${HTML[@]}" 2>"$OUT/vnu-errors.json" || true
    java -jar "$VNU_JAR" --format json "${HTML[@]}" 2>"$OUT/vnu-all.json" || true
    # CSS too (the stylesheets the pages link).
    mapfile -t CSS < <(find "$WS"/dist/*/public -name '*.css' ! -name '*.gz')
    [ "${#CSS[@]}" -gt 0 ] && java -jar "$VNU_JAR" --format json --css "${CSS[@]}" 2>"$OUT/vnu-css.json" || true
fi

# ---------------------------------------------------------------- Lighthouse
if [ -z "${LH_SKIP:-}" ]; then
    [ -x "$CHROME_PATH" ] || die "no chromium at $CHROME_PATH"
    # The rules contain spaces: quoted inside --chrome-flags, which Lighthouse splits like a shell.
    FLAGS="--headless=new --no-sandbox --disable-gpu --ignore-certificate-errors --host-resolver-rules=\"$RULES\""
    n=0; total="$(wc -l <"$OUT/pages.tsv")"
    while IFS=$'\t' read -r d url file kind perf; do
        n=$((n + 1))
        slug="$(python3 -c 'import sys,re; p=sys.argv[1].split("/",3)[3] if sys.argv[1].count("/")>=3 else ""; print(re.sub(r"[^A-Za-z0-9]+","_",p).strip("_") or "home")' "$url")"
        mkdir -p "$OUT/lh/$d"
        cats="$LH_CATEGORIES"
        if [ "$LH_PERF_PAGES" = sample ] && [ "$perf" != 1 ]; then
            cats="$(echo "$cats" | tr ',' '\n' | grep -vx performance | paste -sd,)"
        fi
        printf '[%d/%d] %s (%s)\n' "$n" "$total" "$url" "$cats" >&2
        # A loaded machine sometimes loses the trace (NO_NAVSTART, NO_FCP...):
        # up to two more tries when the report has a runtimeError.
        for try in 1 2 3; do
            node "$LIGHTHOUSE" "$url" --quiet --output=json --output-path="$OUT/lh/$d/$slug.json" \
                --only-categories="$cats" --max-wait-for-load=45000 \
                --chrome-flags="$FLAGS" </dev/null >/dev/null 2>"$OUT/lh/$d/$slug.log" ||
                echo "  lighthouse failed: see $OUT/lh/$d/$slug.log" >&2
            err="$(python3 -c 'import json,sys; print((json.load(open(sys.argv[1])).get("runtimeError") or {}).get("code",""))' \
                "$OUT/lh/$d/$slug.json" 2>/dev/null || echo missing)"
            [ -z "$err" ] && break
            echo "  try $try: $err" >&2
        done
    done <"$OUT/pages.tsv"
fi

# ---------------------------------------------------------------- summary
python3 "$PY" report "$OUT" | tee "$OUT/report.md"
if [ -n "${KEEP:-}" ]; then
    echo "nginx left running: nginx -c $NG/nginx.conf -p $NG/ -s quit" >&2
fi
