#!/usr/bin/env python3
"""Generates the same markdown corpus twice: as a sitegen workspace and as a
Hugo site, so both generators build identical content.

usage: gen_corpus.py OUT_DIR [PAGES]
       gen_corpus.py OUT_DIR PAGES --sites N   N small sites of PAGES pages each

OUT_DIR/sitegen/  workspace with one org-site (bench.example) using the repo's
                  templates and atelier theme
OUT_DIR/hugo/     Hugo site with equivalent layouts (base, single, list, home)
"""
import json
import os
import random
import shutil
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORDS = ("house studio member session coach independent brand tour city venue "
         "booking boundary desire honest evening workshop practice consent care "
         "training collective season artist stage light garden river market").split()


def paragraph(rng, n):
    words = [rng.choice(WORDS) for _ in range(n)]
    words[0] = words[0].capitalize()
    return " ".join(words) + "."


def body(rng, i):
    parts = [f"Intro to page {i}. " + paragraph(rng, 60)]
    for h in range(3):
        parts.append(f"## Part {h + 1} of page {i}")
        parts.append(paragraph(rng, 80))
        parts.append("- " + paragraph(rng, 8) + "\n- **" + paragraph(rng, 6) + "**\n- [a link](/section-0/)")
    parts.append("| a | b |\n|---|---|\n| 1 | 2 |")
    return "\n\n".join(parts) + "\n"


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def many_sites(out, pages, count):
    """N sites in one sitegen workspace, and N separate Hugo sites."""
    rng = random.Random(7)
    sg = os.path.join(out, "sitegen")
    shutil.rmtree(out, ignore_errors=True)
    for sub in ("templates", "themes"):
        shutil.copytree(os.path.join(REPO, sub), os.path.join(sg, sub))
    write(os.path.join(sg, "sitegen.yaml"), "output_dir: dist\n")
    write(os.path.join(sg, "data/platform/bench/tenant.json"),
          json.dumps({"id": "org_bench", "kind": "org", "slug": "bench", "name": "Bench"}))
    template_site = os.path.join(out, "_hugo_template")
    main_one(template_site, 0, hugo_only=True)
    for k in range(count):
        domain = f"site-{k}.example"
        write(os.path.join(sg, f"sites/{domain}/site.yaml"),
              f"domain: {domain}\nkind: org-site\ntheme: {'atelier' if k % 2 else 'nocturne'}\n"
              "tenant:\n  kind: org\n  slug: bench\n"
              f"brand:\n  name: Site {k}\n  tagline: Small site {k}\nnav:\n"
              + "".join(f"  - title: Section {s}\n    url: /section-{s}/\n" for s in range(3)))
        write(os.path.join(sg, f"content/{domain}/_index.md"), f"---\ntitle: Site {k}\n---\nHome.\n")
        hu = os.path.join(out, "hugo", domain)
        shutil.copytree(os.path.join(template_site, "hugo"), hu)
        shutil.rmtree(os.path.join(hu, "content"))
        write(os.path.join(hu, "config.yaml"),
              open(os.path.join(template_site, "hugo", "config.yaml")).read()
              .replace("bench.example", domain).replace("title: Bench", f"title: Site {k}"))
        write(os.path.join(hu, "content/_index.md"), f"---\ntitle: Site {k}\n---\nHome.\n")
        for s in range(3):
            fm = f"---\ntitle: Section {s}\ndescription: Pages of section {s}\n---\nSection {s}.\n"
            write(os.path.join(sg, f"content/{domain}/section-{s}/_index.md"), fm)
            write(os.path.join(hu, f"content/section-{s}/_index.md"), fm)
        for i in range(pages):
            s = i % 3
            fm = (f"---\ntitle: Page {i}\ndescription: Page {i} of site {k}\n"
                  f"date: 2026-{1 + i % 12:02d}-{1 + i % 28:02d}\nweight: {i}\n---\n")
            text = fm + body(rng, i)
            write(os.path.join(sg, f"content/{domain}/section-{s}/page-{i}.md"), text)
            write(os.path.join(hu, f"content/section-{s}/page-{i}.md"), text)
    shutil.rmtree(template_site)


def main():
    out = sys.argv[1]
    pages = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
    if "--sites" in sys.argv:
        many_sites(out, pages, int(sys.argv[sys.argv.index("--sites") + 1]))
        return
    main_one(out, pages)


def main_one(out, pages, hugo_only=False):
    sections = 20
    rng = random.Random(42)
    sg = os.path.join(out, "sitegen")
    hu = os.path.join(out, "hugo")
    shutil.rmtree(out, ignore_errors=True)

    # sitegen workspace
    for sub in ("templates", "themes") if not hugo_only else ():
        shutil.copytree(os.path.join(REPO, sub), os.path.join(sg, sub))
    write(os.path.join(sg, "sitegen.yaml"), "output_dir: dist\n")
    write(os.path.join(sg, "sites/bench.example/site.yaml"),
          "domain: bench.example\nkind: org-site\ntheme: atelier\ntenant:\n  kind: org\n  slug: bench\n"
          "brand:\n  name: Bench\n  tagline: A generated corpus\nnav:\n"
          + "".join(f"  - title: Section {s}\n    url: /section-{s}/\n" for s in range(5)))
    write(os.path.join(sg, "data/platform/bench/tenant.json"),
          json.dumps({"id": "org_bench", "kind": "org", "slug": "bench", "name": "Bench"}))
    write(os.path.join(sg, "content/bench.example/_index.md"), "---\ntitle: Bench\n---\nHome.\n")

    # Hugo site: the same pages, layouts doing the same work (base, nav, list, single)
    write(os.path.join(hu, "config.yaml"),
          "baseURL: https://bench.example/\nlanguageCode: en\ntitle: Bench\nbuildFuture: true\n"
          "disableKinds: [taxonomy, term, RSS]\nmarkup:\n  goldmark:\n    extensions:\n      typographer: true\n"
          "menu:\n  main:\n" + "".join(f"    - name: Section {s}\n      url: /section-{s}/\n" for s in range(5)))
    write(os.path.join(hu, "layouts/_default/baseof.html"),
          '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{{ .Title }} · {{ site.Title }}</title>'
          '<link rel="canonical" href="{{ .Permalink }}"><meta name="description" content="{{ .Description }}"></head><body>'
          '<header><nav><ul>{{ range site.Menus.main }}<li><a href="{{ .URL }}">{{ .Name }}</a></li>{{ end }}</ul></nav></header>'
          '<main>{{ block "main" . }}{{ end }}</main><footer>{{ site.Title }}</footer></body></html>')
    write(os.path.join(hu, "layouts/_default/single.html"),
          '{{ define "main" }}<article><h1>{{ .Title }}</h1>{{ with .Date }}<p>{{ .Format "2 January 2006" }}</p>{{ end }}{{ .Content }}</article>{{ end }}')
    write(os.path.join(hu, "layouts/_default/list.html"),
          '{{ define "main" }}<h1>{{ .Title }}</h1>{{ .Content }}<ul>{{ range .Pages }}<li><h2><a href="{{ .RelPermalink }}">{{ .Title }}</a></h2><p>{{ .Description }}</p></li>{{ end }}</ul>{{ end }}')
    write(os.path.join(hu, "layouts/index.html"),
          '{{ define "main" }}<h1>{{ .Title }}</h1>{{ .Content }}{{ end }}')
    write(os.path.join(hu, "content/_index.md"), "---\ntitle: Bench\n---\nHome.\n")

    for s in range(sections):
        fm = f"---\ntitle: Section {s}\ndescription: Pages of section {s}\n---\nSection {s}.\n"
        write(os.path.join(sg, f"content/bench.example/section-{s}/_index.md"), fm)
        write(os.path.join(hu, f"content/section-{s}/_index.md"), fm)
    for i in range(pages):
        s = i % sections
        day = 1 + i % 28
        fm = (f"---\ntitle: Page {i}\ndescription: Generated page {i} of the benchmark corpus\n"
              f"date: 2026-{1 + i % 12:02d}-{day:02d}\nweight: {i}\n---\n")
        text = fm + body(rng, i)
        write(os.path.join(sg, f"content/bench.example/section-{s}/page-{i}.md"), text)
        write(os.path.join(hu, f"content/section-{s}/page-{i}.md"), text)


if __name__ == "__main__":
    main()
