#!/usr/bin/env python3
"""Helper of scripts/audit.sh.

  audit.py pages <dist>   -> TSV: domain, url, built file, kind (home|page|404), perf-sample (1|0)
  audit.py report <out>   -> markdown summary of the Nu validator and Lighthouse results
"""
import collections
import json
import pathlib
import re
import sys
import urllib.parse

CATS = ["performance", "accessibility", "best-practices", "seo"]
SHORT = {"performance": "perf", "accessibility": "a11y", "best-practices": "bp", "seo": "seo"}


# ----------------------------------------------------------------- pages
def url_to_file(public, url):
    path = urllib.parse.unquote(urllib.parse.urlsplit(url).path).lstrip("/")
    for cand in [path, path + "index.html" if path.endswith("/") or not path else path + "/index.html",
                 path + ".html"]:
        f = public / cand
        if cand and f.is_file():
            return f
    return public / path


def pages(dist):
    rows = []
    for site in sorted(pathlib.Path(dist).iterdir()):
        public = site / "public"
        if not (public / "sitemap.xml").is_file():
            continue
        d = site.name
        locs = re.findall(r"<loc>([^<]+)</loc>", (public / "sitemap.xml").read_text())
        site_rows = []
        for u in locs:
            u = u.strip()
            f = url_to_file(public, u)
            depth = len([p for p in urllib.parse.urlsplit(u).path.split("/") if p])
            site_rows.append([d, u, str(f), "home" if depth == 0 else "page", depth])
        for f in sorted(public.rglob("404.html")):
            rel = f.parent.relative_to(public).as_posix()
            prefix = "" if rel == "." else rel + "/"
            # Lighthouse refuses to audit a document served with a 4xx status
            # (runtimeError ERRORED_DOCUMENT_REQUEST), so the 404 page is audited
            # at its own URL (same bytes and headers, status 200); headers.txt
            # shows what a missing URL returns.
            site_rows.append([d, f"https://{d}/{prefix}404.html", str(f), "404", -1])
        # Performance sample: the home page, one inner page (depth 1), one data
        # page (the first of the deepest pages: profiles, events, tour legs).
        sample = set()
        homes = [r for r in site_rows if r[3] == "home"]
        if homes:
            sample.add(homes[0][1])
        inner = [r for r in site_rows if r[4] == 1]
        if inner:
            sample.add(inner[0][1])
        deep = sorted([r for r in site_rows if r[4] >= 2], key=lambda r: -r[4])
        if deep:
            sample.add(deep[0][1])
        for r in site_rows:
            rows.append("\t".join([r[0], r[1], r[2], r[3], "1" if r[1] in sample else "0"]))
    print("\n".join(rows))


# ----------------------------------------------------------------- report
def load_json(p):
    try:
        return json.loads(pathlib.Path(p).read_text())
    except (OSError, ValueError):
        return None


def slug_of(url):
    parts = url.split("/", 3)
    p = parts[3] if len(parts) > 3 else ""
    return re.sub(r"[^A-Za-z0-9]+", "_", p).strip("_") or "home"


def clip(s, n=220):
    s = re.sub(r"\s+", " ", str(s)).strip()
    return s if len(s) <= n else s[: n - 1] + "…"


def fmt_item(item, headings):
    """One details item as a short line: node selector/snippet, url, source, other values."""
    bits = []
    for key, val in item.items():
        if key in ("subItems", "debugData"):
            continue
        if isinstance(val, dict):
            t = val.get("type")
            if t == "node":
                s = val.get("selector") or ""
                snip = val.get("snippet") or ""
                lbl = val.get("nodeLabel") or ""
                b = f"`{s}` {clip(snip, 160)}"
                if lbl and lbl not in snip:
                    b += f" [{clip(lbl, 60)}]"
                if val.get("explanation"):
                    b += " — " + clip(val["explanation"], 300)
                bits.append(b)
            elif t == "source-location":
                bits.append(f"{val.get('url', '')}:{val.get('line', 0) + 1}:{val.get('column', 0) + 1}")
            elif t in ("url", "code", "text"):
                bits.append(f"{key}={clip(val.get('value'), 160)}")
            elif "value" in val:
                bits.append(f"{key}={clip(val.get('value'), 120)}")
        elif isinstance(val, (str, int, float, bool)) and val not in ("", None):
            if isinstance(val, float):
                val = round(val, 3)
            bits.append(f"{key}={clip(val, 200)}")
    sub = item.get("subItems")
    if isinstance(sub, dict) and sub.get("items"):
        bits.append("; ".join(fmt_item(s, headings) for s in sub["items"][:5]))
    return " · ".join(bits)


def failing_audits(lhr):
    """Audits of any run category that do not pass: score < 1 (binary/numeric/metricSavings),
    errors; with their details items."""
    out = []
    seen = set()
    for cid in CATS:
        cat = lhr.get("categories", {}).get(cid)
        if not cat:
            continue
        for ref in cat.get("auditRefs", []):
            a = lhr["audits"].get(ref["id"])
            if not a or ref["id"] in seen:
                continue
            mode = a.get("scoreDisplayMode")
            score = a.get("score")
            bad = mode == "error" or (
                mode in ("binary", "numeric", "metricSavings") and score is not None and score < 1)
            if not bad:
                continue
            # A metricSavings audit with score 0.5 ("warn", no measured savings) only
            # matters when the category is below 100; keep it, but mark it.
            seen.add(ref["id"])
            items = []
            det = a.get("details") or {}
            for it in (det.get("items") or [])[:25]:
                if isinstance(it, dict):
                    if it.get("items") and not it.get("node"):  # nested tables (e.g. font-size)
                        for sub in it["items"][:10]:
                            items.append(fmt_item(sub, None))
                    else:
                        items.append(fmt_item(it, det.get("headings")))
            out.append({
                "cat": cid, "id": ref["id"], "title": a.get("title"), "score": score, "mode": mode,
                "weight": ref.get("weight", 0), "display": a.get("displayValue") or "",
                "error": a.get("errorMessage") or "", "explanation": a.get("explanation") or "",
                "warnings": a.get("warnings") or [], "items": [i for i in items if i],
                "nitems": len(det.get("items") or []),
            })
    return out


def report(outdir):
    outdir = pathlib.Path(outdir)
    rows = [l.split("\t") for l in (outdir / "pages.tsv").read_text().splitlines() if l.strip()]
    file_of = {r[1]: r[2] for r in rows}

    # Nu validator
    vnu = collections.defaultdict(lambda: {"error": [], "warning": []})
    vnu_ran = False
    for name in ("vnu-all.json", "vnu-errors.json"):
        data = load_json(outdir / name)
        if not data:
            continue
        vnu_ran = True
        for m in data.get("messages", []):
            f = urllib.parse.unquote(m.get("url", "")).replace("file:", "", 1)
            kind = "error" if m.get("type") in ("error", "non-document-error") else (
                "warning" if m.get("subType") == "warning" else None)
            if not kind:
                continue
            key = (m.get("lastLine"), m.get("firstColumn"), m.get("message"))
            if key in [(x.get("lastLine"), x.get("firstColumn"), x.get("message")) for x in vnu[f][kind]]:
                continue
            vnu[f][kind].append(m)
    css = load_json(outdir / "vnu-css.json")

    lines = []
    P = lines.append
    P("# sitegen demo sites: Nu validator + Lighthouse audit\n")
    port = (outdir / "https_port").read_text().strip() if (outdir / "https_port").exists() else "?"
    P(f"Served by the generated nginx configs (private nginx, HTTPS on 127.0.0.1:{port}, "
      f"Chromium `--host-resolver-rules` maps each real host name there). Reports in `{outdir}/lh/`.\n")

    # Summary table
    P("| site | page | Nu errors | Nu warnings | " + " | ".join(SHORT[c] for c in CATS) + " |")
    P("|---|---|---|---|" + "---|" * len(CATS))
    per_page = []
    agg = collections.defaultdict(list)   # (cat, id, title) -> [(site, url, items)]
    vnu_agg = collections.defaultdict(list)
    for d, url, f, kind, perf in rows:
        lhr = load_json(outdir / "lh" / d / f"{slug_of(url)}.json")
        scores = {}
        fails = []
        err = ""
        if lhr:
            for c in CATS:
                cat = lhr.get("categories", {}).get(c)
                scores[c] = None if not cat or cat.get("score") is None else round(cat["score"] * 100)
            fails = [] if lhr.get("runtimeError") else failing_audits(lhr)
            if lhr.get("runtimeError"):
                err = f"{lhr['runtimeError'].get('code')}: {lhr['runtimeError'].get('message')}"
            for w in lhr.get("runWarnings", []):
                err += (" | " if err else "") + clip(w, 300)
        v = vnu.get(f, {"error": [], "warning": []})
        for kind_ in ("error", "warning"):
            for m in v[kind_]:
                vnu_agg[(kind_, m.get("message"))].append((d, url, m))
        cell = lambda c: "–" if lhr is None or c not in (lhr.get("categories") or {}) else (
            f"**{scores[c]}**" if scores[c] is not None and scores[c] < 100 else str(scores[c]))
        path = urllib.parse.urlsplit(url).path
        ve = str(len(v["error"])) if vnu_ran else "–"
        vw = str(len(v["warning"])) if vnu_ran else "–"
        P(f"| {d} | {path}{' (404)' if kind == '404' else ''} | {ve} | {vw} | "
          + " | ".join(cell(c) for c in CATS) + " |")
        for a in fails:
            agg[(a["cat"], a["id"], a["title"])].append((d, path, a))
        per_page.append((d, url, f, kind, v, scores, fails, err, lhr))

    # Aggregate: failing audits by id
    P("\n## Failing Lighthouse audits, grouped\n")
    if not agg:
        P("None.\n")
    zero = {k: v for k, v in agg.items() if all(a["weight"] == 0 for _, _, a in v)}
    for (cat, aid, title), hits in sorted(agg.items(), key=lambda kv: (CATS.index(kv[0][0]), -len(kv[1]))):
        if (cat, aid, title) in zero:
            continue
        weights = {a["weight"] for _, _, a in hits}
        P(f"- **{cat} / `{aid}`** — {title} (weight {'/'.join(map(str, sorted(weights)))}) — "
          f"{len(hits)} page(s): " + ", ".join(f"{d}{p}" for d, p, _ in hits[:12])
          + (" …" if len(hits) > 12 else ""))
    if zero:
        P("\nWeight-0 audits (diagnostics/insights: shown by Lighthouse, no effect on the score):\n")
        for (cat, aid, title), hits in sorted(zero.items(), key=lambda kv: -len(kv[1])):
            P(f"- {cat} / `{aid}` — {title} — {len(hits)} page(s)")
    P("\n## Nu validator messages, grouped\n")
    if not vnu_ran:
        P("Not run.\n")
    elif not vnu_agg:
        P("No errors, no warnings.\n")
    for (k, msg), hits in sorted(vnu_agg.items()):
        P(f"- **{k}**: {clip(msg, 400)} — {len(hits)} occurrence(s) on "
          + ", ".join(sorted({f'{d}{urllib.parse.urlsplit(u).path}' for d, u, _ in hits})[:15]))
    if css:
        cm = [m for m in css.get("messages", []) if m.get("type") == "error" or m.get("subType") == "warning"]
        P(f"\nCSS (Nu --css): {len(cm)} error/warning message(s)")
        for m in cm[:40]:
            P(f"  - {m.get('type')}{'/' + m['subType'] if m.get('subType') else ''} "
              f"{urllib.parse.unquote(m.get('url', '')).split('/public/')[-1]}:{m.get('lastLine')}: {clip(m.get('message'), 300)}")

    # Per page details
    P("\n## Per page\n")
    for d, url, f, kind, v, scores, fails, err, lhr in per_page:
        bad = v["error"] or v["warning"] or fails or err or lhr is None
        if not bad:
            continue
        P(f"### {url}{' (404 page)' if kind == '404' else ''}\n")
        P(f"file: `{f.split('/dist/', 1)[-1]}`; scores: "
          + ", ".join(f"{SHORT[c]} {scores.get(c)}" for c in CATS if lhr and c in lhr.get('categories', {})))
        if lhr is None:
            P("- Lighthouse: no report (not run or failed)")
        if err:
            P(f"- Lighthouse run warnings/errors: {err}")
        for kind_ in ("error", "warning"):
            for m in v[kind_]:
                P(f"- Nu {kind_} L{m.get('lastLine')}:{m.get('firstColumn')}: {clip(m.get('message'), 400)}"
                  f"  `{clip(m.get('extract', ''), 160)}`")
        zero_ids = [a["id"] for a in fails if a["weight"] == 0 and a["mode"] != "error"]
        if zero_ids:
            P("- weight-0 (no score effect): " + ", ".join(f"`{i}`" for i in zero_ids))
        for a in fails:
            if a["weight"] == 0 and a["mode"] != "error":
                continue
            s = "error" if a["mode"] == "error" else a["score"]
            P(f"- LH {a['cat']} `{a['id']}` (score {s}, weight {a['weight']}): {a['title']}"
              + (f" — {a['display']}" if a["display"] else "")
              + (f" — {clip(a['error'], 300)}" if a["error"] else "")
              + (f" — {clip(a['explanation'], 300)}" if a["explanation"] else ""))
            for w in a["warnings"]:
                P(f"    - warning: {clip(w, 300)}")
            for it in a["items"]:
                P(f"    - {clip(it, 500)}")
            if a["nitems"] > len(a["items"]):
                P(f"    - … {a['nitems'] - len(a['items'])} more")
        P("")
    print("\n".join(lines))


if __name__ == "__main__":
    if sys.argv[1] == "pages":
        pages(sys.argv[2])
    elif sys.argv[1] == "report":
        report(sys.argv[2])
    else:
        sys.exit(__doc__)
