#!/usr/bin/env python3
"""Edit-to-served latency of the live preview: in a 1,000-page site, append a
line to one markdown file and time until the preview server answers that
page with the new text. Median and max over 20 edits, for `sitegen serve`
and, when installed, `hugo server` and `zola serve` on the same corpus.

usage: python3 bench/serve_latency.py [PAGES] [EDITS]
"""
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAGES = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
EDITS = int(sys.argv[2]) if len(sys.argv) > 2 else 20
OUT = os.path.join(REPO, "bench/out/latency")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url, host):
    req = urllib.request.Request(url, headers={"Host": host})
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.read().decode("utf-8", "replace")
    except Exception:
        return ""


def wait_up(url, host, deadline=120):
    end = time.time() + deadline
    while time.time() < end:
        if fetch(url, host):
            return
        time.sleep(0.05)
    raise SystemExit(f"server at {url} never answered")


def measure(name, md_file, url, host):
    wait_up(url, host)
    time.sleep(1.0)
    samples = []
    for n in range(EDITS):
        token = f"latency-token-{name}-{n}-{time.time_ns()}"
        start = time.perf_counter()
        with open(md_file, "a") as f:
            f.write(f"\n\nEdit {token}\n")
        while token not in fetch(url, host):
            if time.perf_counter() - start > 30:
                raise SystemExit(f"{name}: edit {n} never showed up")
        samples.append((time.perf_counter() - start) * 1000)
        time.sleep(0.3)
    print(f"{name:<14} median {statistics.median(samples):7.1f} ms   max {max(samples):7.1f} ms   ({EDITS} edits, {PAGES} pages)")


def run(name, cmd, cwd, md_file, url, host):
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        measure(name, md_file, url, host)
    finally:
        proc.terminate()
        proc.wait()


def main():
    subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "sitegen"], cwd=REPO, check=True)
    subprocess.run([sys.executable, os.path.join(REPO, "bench/gen_corpus.py"), OUT, str(PAGES)], check=True,
                   stdout=subprocess.DEVNULL)
    print(f"machine: {os.cpu_count()} cores")
    port = free_port()
    sg = os.path.join(OUT, "sitegen")
    run("sitegen serve",
        [os.path.join(REPO, "target/release/sitegen"), "--root", sg, "serve", "--port", str(port), "bench.example"],
        REPO, os.path.join(sg, "content/bench.example/section-3/page-3.md"),
        f"http://127.0.0.1:{port}/section-3/page-3/", "bench.example")
    hu = os.path.join(OUT, "hugo")
    if subprocess.run(["sh", "-c", "command -v hugo"], stdout=subprocess.DEVNULL).returncode == 0:
        port = free_port()
        run("hugo server", ["hugo", "server", "-s", hu, "--bind", "127.0.0.1", "--port", str(port),
                            "--baseURL", f"http://127.0.0.1:{port}/", "--appendPort=false"],
            REPO, os.path.join(hu, "content/section-3/page-3.md"),
            f"http://127.0.0.1:{port}/section-3/page-3/", f"127.0.0.1:{port}")
    else:
        print("hugo server    not installed (apt-get install hugo)")
    if subprocess.run(["sh", "-c", "command -v zola"], stdout=subprocess.DEVNULL).returncode == 0:
        print("zola serve     installed, but the corpus has no zola layouts yet: not measured")
    else:
        print("zola serve     not installed (no Debian package)")


if __name__ == "__main__":
    main()
