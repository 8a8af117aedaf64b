#!/usr/bin/env python3
"""Benchmark of `sitegen edge`: platform event → updated page on disk in the
live release (what nginx serves: `current/` is resolved per request).

usage: edge_latency.py [--events N] [--out DIR] demo | corpus [PAGES] [MEMBERS]

demo    the demo tour site (adulttherapytour.com): each event changes a
        leg's status on the API and waits for that leg's page
corpus  bench/gen_corpus.py's site with PAGES pages (default 1000) and
        MEMBERS member profiles (default 200): each event renames a member
        and waits for that member's page

A small fake platform API (this script, loopback) serves the tenant's data;
the site is built and deployed to a local target with the release binary,
then `sitegen edge` runs against it. Prints every latency, p50 and p95, the
pages per refresh and per second the daemon logged, and the daemon's RSS
when idle and its peak (VmHWM).
"""
import argparse
import hashlib
import hmac
import http.server
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import unicodedata
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(REPO, "target/release/sitegen")
SECRET = "bench-secret-0123456789abcdef"
TOKEN = "bench-token"


class Api:
    """tenant slug → {"tenant": {...}, "profiles": [...], "tours": [...]}"""

    def __init__(self, data):
        self.data = data
        self.lock = threading.Lock()
        api = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                m = re.fullmatch(r"/v1/public/tenants/([^/?]+)(?:/(profiles|tours))?(?:\?.*)?", self.path)
                if not m or m.group(1) not in api.data:
                    self.send_response(404)
                    self.end_headers()
                    return
                with api.lock:
                    d = api.data[m.group(1)]
                    body = d["tenant"] if not m.group(2) else {"items": d[m.group(2)], "next": None}
                    raw = json.dumps(body).encode()
                etag = '"' + hashlib.sha256(raw).hexdigest()[:16] + '"'
                if self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("ETag", etag)
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(args, env=None, cwd=None):
    r = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"{' '.join(args)} failed:\n{r.stdout}{r.stderr}")
    return r


def rss_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def post(port, tenant, n):
    body = json.dumps({"id": f"bench-{n}-{time.time_ns()}", "tenant": tenant, "type": "bench.updated"}).encode()
    ts = str(int(time.time()))
    sig = hmac.new(SECRET.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/_sitegen/events", data=body, method="POST",
        headers={"Sitegen-Timestamp": ts, "Sitegen-Signature": "sha256=" + sig})
    with urllib.request.urlopen(req) as r:
        assert r.status == 202, r.status


def setup_demo(ws):
    run(["bash", "-c", f"git -C {REPO} archive HEAD | tar -x -C {ws}"])
    data = {}
    snap = os.path.join(ws, "data/platform/ada-marlowe")
    d = {"tenant": json.load(open(os.path.join(snap, "tenant.json")))}
    for ep in ("profiles", "tours"):
        d[ep] = json.load(open(os.path.join(snap, f"{ep}.json")))["items"]
    data["ada-marlowe"] = d
    shutil.rmtree(os.path.join(ws, "data/platform"))
    return "adulttherapytour.com", "person:ada-marlowe", data


def setup_corpus(ws, pages, members):
    out = ws + ".gen"
    run([sys.executable, os.path.join(REPO, "bench/gen_corpus.py"), out, str(pages)])
    shutil.rmtree(ws)
    shutil.move(os.path.join(out, "sitegen"), ws)
    shutil.rmtree(out)
    tenant = json.load(open(os.path.join(ws, "data/platform/bench/tenant.json")))
    shutil.rmtree(os.path.join(ws, "data/platform"))
    profiles = [{
        "id": f"prof_{i}", "user_id": f"usr_{i}", "org_id": tenant["id"], "shared_publicly": True,
        "slug": f"member-{i}", "display_name": f"Member {i}", "role_title": "Practitioner",
        "bio": f"Member {i} works with the house.", "links": [], "services": ["Sessions"],
    } for i in range(members)]
    os.makedirs(os.path.join(ws, "content/bench.example/members"), exist_ok=True)
    with open(os.path.join(ws, "content/bench.example/members/_index.md"), "w") as f:
        f.write("---\ntitle: Members\ndescription: The members.\n---\n")
    return "bench.example", "org:bench", {"bench": {"tenant": tenant, "profiles": profiles, "tours": []}}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=20)
    ap.add_argument("--out", default="/tmp/sitegen-edge-bench")
    ap.add_argument("mode", choices=["demo", "corpus"])
    ap.add_argument("pages", nargs="?", type=int, default=1000)
    ap.add_argument("members", nargs="?", type=int, default=200)
    a = ap.parse_args()
    subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "sitegen"], cwd=REPO, check=True)
    shutil.rmtree(a.out, ignore_errors=True)
    ws = os.path.join(a.out, "ws")
    os.makedirs(ws)
    domain, tenant, data = setup_demo(ws) if a.mode == "demo" else setup_corpus(ws, a.pages, a.members)
    api = Api(data)
    target = os.path.join(a.out, "srv", domain)
    # The API comes from the environment (SITEGEN_PLATFORM_API), for the
    # build and for the daemon.
    site_yaml = os.path.join(ws, "sites", domain, "site.yaml")
    text = open(site_yaml).read()
    text = re.sub(r"\ndeploy:\n(  .*\n)*", "\n", text + "\n")
    open(site_yaml, "w").write(text + f"deploy:\n  target: {target}\n  held_back: false\n")
    # A webhook host: releases then carry what the edge renders from.
    ws_yaml = os.path.join(ws, "sitegen.yaml")
    text = open(ws_yaml).read() if os.path.exists(ws_yaml) else ""
    if re.search(r"(?m)^nginx:\n", text):
        text = re.sub(r"(?m)^nginx:\n", "nginx:\n  hook_host: hooks.bench.example\n", text, count=1)
    else:
        text += "\nnginx:\n  hook_host: hooks.bench.example\n"
    open(ws_yaml, "w").write(text)
    env = dict(os.environ, SITEGEN_PLATFORM_TOKEN=TOKEN, SITEGEN_EDGE_SECRET=SECRET,
               SITEGEN_PLATFORM_API=api.url)
    env.pop("SITEGEN_LOG", None)
    run([BIN, "--root", ws, "build", domain], env)
    run([BIN, "--root", ws, "deploy", domain], env)
    port = free_port()
    log = open(os.path.join(a.out, "edge.log"), "w+")
    daemon = subprocess.Popen([BIN, "edge", "--listen", f"127.0.0.1:{port}", "--reconcile-secs", "86400", target],
                              env=env, stderr=log, stdout=subprocess.DEVNULL)
    try:
        def refreshes():
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_sitegen/health") as r:
                    return json.load(r)["sites"][0]["refreshes"]
            except OSError:
                return 0
        deadline = time.time() + 300
        while refreshes() < 1:
            assert time.time() < deadline and daemon.poll() is None, open(log.name).read()
            time.sleep(0.05)
        idle = rss_kib(daemon.pid, "VmRSS")
        latencies = []
        for n in range(a.events):
            with api.lock:
                d = data[tenant.split(":")[1]]
                if a.mode == "demo":
                    leg = d["tours"][0]["legs"][n % len(d["tours"][0]["legs"])]
                    leg["venue"] = f"Venue v{n}"
                    city = unicodedata.normalize("NFKD", leg["city"]).encode("ascii", "ignore").decode()
                    page = os.path.join(target, "current/tour", re.sub(r"[^a-z0-9]+", "-", city.lower()).strip("-"), "index.html")
                    want = f"Venue v{n}"
                else:
                    p = d["profiles"][(n * 37) % len(d["profiles"])]
                    p["display_name"] = f"Member {p['id']} v{n}"
                    page = os.path.join(target, "current/members", p["slug"], "index.html")
                    want = p["display_name"]
            t0 = time.perf_counter()
            post(port, tenant, n)
            while True:
                try:
                    if want in open(page, encoding="utf-8", errors="replace").read():
                        break
                except OSError:
                    pass
                assert time.perf_counter() - t0 < 120, f"{page} never showed {want!r}"
                time.sleep(0.002)
            latencies.append(time.perf_counter() - t0)
            print(f"event {n}: {latencies[-1] * 1000:.0f} ms", flush=True)
        peak = rss_kib(daemon.pid, "VmHWM")
    finally:
        daemon.terminate()
        daemon.wait()
    lines = [l for l in open(log.name).read().splitlines() if " pages in " in l]
    rates = []
    for l in lines:
        m = re.search(r": (\d+) pages in (\d+) ms", l)
        if m and int(m.group(2)) > 0:
            rates.append((int(m.group(1)), int(m.group(2))))
    qs = statistics.quantiles(latencies, n=20) if len(latencies) >= 2 else latencies * 19
    print(f"\n{domain}: {a.events} events")
    print(f"event → page in the live release: p50 {statistics.median(latencies) * 1000:.0f} ms, p95 {qs[18] * 1000:.0f} ms")
    if rates:
        pages = statistics.median(p for p, _ in rates)
        ms = statistics.median(m for _, m in rates)
        print(f"per refresh (daemon's log, median): {pages} pages changed, {ms} ms build + deploy")
    print(f"daemon RSS: idle {idle / 1024:.0f} MiB, peak {peak / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
