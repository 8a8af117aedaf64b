#!/usr/bin/env python3
"""Generates the same markdown corpus twice: as a sitegen workspace and as a
Hugo site, with templates that make the same pages in both.

usage: gen_corpus.py OUT_DIR [PAGES]
       gen_corpus.py OUT_DIR PAGES --sites N   N small sites of PAGES pages each

OUT_DIR/sitegen/  workspace with one org-site (bench.example): the repo's
                  themes, and the bench templates below as the site's overrides
OUT_DIR/hugo/     Hugo site with equivalent layouts

Pages: YAML front matter (title, description, date, 2-4 tags from a pool of
40), 400-900 word bodies with headings, lists, links to other pages, a table
and, on one page in five, a code block; in 20 sections (3 for --sites).
Templates, for both generators: a base with nav and footer; a page with its
tags and prev/next links; section lists and tag pages paginated by 20; a tags
index; a home page with the 10 latest pages; the sitemap.
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
TAGS = sorted({f"{a} {b}".capitalize() for a, b in zip(WORDS, WORDS[7:] + WORDS[:7])}
              | {w.capitalize() for w in WORDS[:12]})[:40]
PER_PAGE = 20
LATEST = 10

# --- sitegen templates (sites/<domain>/templates/) ---------------------------
SG = {
    "base.html":
        '<!doctype html><html lang="{{ site.language }}"><head><meta charset="utf-8">'
        '<title>{{ page.title }} · {{ site.brand.name }}</title>'
        '<link rel="canonical" href="{{ page.permalink }}">'
        '{% if page.description %}<meta name="description" content="{{ page.description }}">{% endif %}'
        '<link rel="stylesheet" href="{{ asset(\'css/site.css\') }}"></head><body>'
        '<header><nav><ul>{% for item in site.nav %}<li><a href="{{ item.url }}">{{ item.title }}</a></li>{% endfor %}</ul></nav></header>'
        '<main>{% block main %}{% endblock %}</main>'
        '<footer>{{ site.brand.name }} · <a href="/tags/">Tags</a></footer></body></html>\n',
    "partials/item.html":
        '<li><h2><a href="{{ item.url }}">{{ item.title }}</a></h2>'
        '{% if item.date %}<p><time>{{ item.date|dateformat(format="[day padding:none] [month repr:long] [year]") }}</time></p>{% endif %}'
        '<p>{{ item.description }}</p></li>',
    "partials/pager.html":
        '{% if paginator.total_pages > 1 %}<nav class="pagination">'
        '{% if paginator.previous %}<a rel="prev" href="{{ paginator.previous }}">Previous</a>{% endif %}'
        '<span>{{ paginator.number }} / {{ paginator.total_pages }}</span>'
        '{% if paginator.next %}<a rel="next" href="{{ paginator.next }}">Next</a>{% endif %}</nav>{% endif %}',
    "page.html":
        '{% extends "base.html" %}{% block main %}<article><h1>{{ page.title }}</h1>'
        '{% if page.date %}<p><time>{{ page.date|dateformat(format="[day padding:none] [month repr:long] [year]") }}</time></p>{% endif %}'
        '<ul class="tags">{% for t in page.tags %}<li><a href="{{ t.url }}">{{ t.name }}</a></li>{% endfor %}</ul>'
        '{{ page.content }}<nav class="prev-next">'
        '{% if page.prev %}<a rel="prev" href="{{ page.prev.url }}">{{ page.prev.title }}</a>{% endif %}'
        '{% if page.next %}<a rel="next" href="{{ page.next.url }}">{{ page.next.title }}</a>{% endif %}'
        '</nav></article>{% endblock %}\n',
    "section.html":
        '{% extends "base.html" %}{% block main %}<h1>{{ page.title }}</h1>{{ page.content }}'
        '<ul>{% for item in paginator.items %}{% include "partials/item.html" %}{% endfor %}</ul>'
        '{% include "partials/pager.html" %}{% endblock %}\n',
    "tag.html":
        '{% extends "base.html" %}{% block main %}<h1>{{ term.name }}</h1>'
        '<ul>{% for item in paginator.items %}{% include "partials/item.html" %}{% endfor %}</ul>'
        '{% include "partials/pager.html" %}{% endblock %}\n',
    "tags.html":
        '{% extends "base.html" %}{% block main %}<h1>Tags</h1><ul>'
        '{% for t in terms %}<li><a href="{{ t.url }}">{{ t.name }}</a> ({{ t.count }})</li>{% endfor %}'
        '</ul>{% endblock %}\n',
    "index.html":
        '{% extends "base.html" %}{% block main %}<h1>{{ site.brand.name }}</h1>{{ page.content }}'
        '<h2>Latest</h2><ul>{% for item in latest(' + str(LATEST) + ') %}{% include "partials/item.html" %}{% endfor %}</ul>'
        '{% endblock %}\n',
}

# --- the same pages as Hugo layouts -----------------------------------------
HUGO = {
    "_default/baseof.html":
        '<!doctype html><html lang="{{ site.LanguageCode }}"><head><meta charset="utf-8">'
        '<title>{{ .Title }} · {{ site.Title }}</title>'
        '<link rel="canonical" href="{{ .Permalink }}">'
        '{{ with .Description }}<meta name="description" content="{{ . }}">{{ end }}'
        '<link rel="stylesheet" href="/css/site.css"></head><body>'
        '<header><nav><ul>{{ range site.Menus.main }}<li><a href="{{ .URL }}">{{ .Name }}</a></li>{{ end }}</ul></nav></header>'
        '<main>{{ block "main" . }}{{ end }}</main>'
        '<footer>{{ site.Title }} · <a href="/tags/">Tags</a></footer></body></html>\n',
    "partials/item.html":
        '<li><h2><a href="{{ .RelPermalink }}">{{ .Title }}</a></h2>'
        '{{ if not .Date.IsZero }}<p><time>{{ .Date.Format "2 January 2006" }}</time></p>{{ end }}'
        '<p>{{ .Description }}</p></li>',
    "partials/pager.html":
        '{{ if gt .TotalPages 1 }}<nav class="pagination">'
        '{{ with .Prev }}<a rel="prev" href="{{ .URL }}">Previous</a>{{ end }}'
        '<span>{{ .PageNumber }} / {{ .TotalPages }}</span>'
        '{{ with .Next }}<a rel="next" href="{{ .URL }}">Next</a>{{ end }}</nav>{{ end }}',
    "_default/single.html":
        '{{ define "main" }}<article><h1>{{ .Title }}</h1>'
        '{{ if not .Date.IsZero }}<p><time>{{ .Date.Format "2 January 2006" }}</time></p>{{ end }}'
        '<ul class="tags">{{ range .GetTerms "tags" }}<li><a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a></li>{{ end }}</ul>'
        '{{ .Content }}<nav class="prev-next">'
        '{{ with .PrevInSection }}<a rel="prev" href="{{ .RelPermalink }}">{{ .Title }}</a>{{ end }}'
        '{{ with .NextInSection }}<a rel="next" href="{{ .RelPermalink }}">{{ .Title }}</a>{{ end }}'
        '</nav></article>{{ end }}\n',
    "_default/list.html":
        '{{ define "main" }}<h1>{{ .Title }}</h1>{{ .Content }}{{ $p := .Paginate .Pages }}'
        '<ul>{{ range $p.Pages }}{{ partial "item.html" . }}{{ end }}</ul>'
        '{{ partial "pager.html" $p }}{{ end }}\n',
    "_default/term.html":
        '{{ define "main" }}<h1>{{ .Title }}</h1>{{ $p := .Paginate .Pages }}'
        '<ul>{{ range $p.Pages }}{{ partial "item.html" . }}{{ end }}</ul>'
        '{{ partial "pager.html" $p }}{{ end }}\n',
    "_default/taxonomy.html":
        '{{ define "main" }}<h1>Tags</h1><ul>'
        '{{ range .Data.Terms.Alphabetical }}<li><a href="{{ .Page.RelPermalink }}">{{ .Page.Title }}</a> ({{ .Count }})</li>{{ end }}'
        '</ul>{{ end }}\n',
    "index.html":
        '{{ define "main" }}<h1>{{ site.Title }}</h1>{{ .Content }}'
        '<h2>Latest</h2><ul>{{ range first ' + str(LATEST) + ' site.RegularPages.ByDate.Reverse }}{{ partial "item.html" . }}{{ end }}</ul>'
        '{{ end }}\n',
}


def paragraph(rng, n):
    words = [rng.choice(WORDS) for _ in range(n)]
    words[0] = words[0].capitalize()
    return " ".join(words) + "."


def body(rng, i, link):
    """400-900 words: intro, 3-5 parts with a heading, paragraphs, a list
    with links to other pages; a table; a code block on one page in five."""
    target = rng.randint(400, 900)
    parts = [f"Intro to page {i}. " + paragraph(rng, 60)]
    words = 64
    h = 0
    while words < target:
        h += 1
        n = min(rng.randint(80, 160), max(target - words, 20))
        parts.append(f"## Part {h} of page {i}")
        parts.append(paragraph(rng, n))
        parts.append("- " + paragraph(rng, 8) + f"\n- **{paragraph(rng, 6)}**\n- see [{link()}]({link()})")
        words += n + 24
    parts.append("| a | b |\n|---|---|\n| 1 | 2 |")
    if i % 5 == 0:
        parts.append("```rust\nfn main() {\n    let pages = 10_000;\n    println!(\"{pages} pages\");\n}\n```")
    return "\n\n".join(parts) + "\n"


def page_text(rng, i, title, desc, page_url):
    tags = rng.sample(TAGS, rng.randint(2, 4))
    # one page an hour from 1 January 2024: every date distinct
    day, hour = divmod(i, 24)
    year, rest = divmod(day, 336)
    month, mday = divmod(rest, 28)
    date = f"{2024 + year}-{month + 1:02d}-{mday + 1:02d}T{hour:02d}:00:00Z"
    fm = (f"---\ntitle: {title}\ndescription: {desc}\ndate: {date}\n"
          f"tags: [{', '.join(tags)}]\n---\n")
    return fm + body(rng, i, page_url)


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def sitegen_site(sg, domain, name, tagline, sections, theme="atelier"):
    write(os.path.join(sg, f"sites/{domain}/site.yaml"),
          f"domain: {domain}\nkind: org-site\ntheme: {theme}\ntenant:\n  kind: org\n  slug: bench\n"
          f"paginate_by: {PER_PAGE}\nbrand:\n  name: {name}\n  tagline: {tagline}\nnav:\n"
          + "".join(f"  - title: Section {s}\n    url: /section-{s}/\n" for s in range(min(sections, 5))))
    for rel, text in SG.items():
        write(os.path.join(sg, f"sites/{domain}/templates/{rel}"), text)


def hugo_site(hu, domain, title, sections):
    write(os.path.join(hu, "config.yaml"),
          f"baseURL: https://{domain}/\nlanguageCode: en\ntitle: {title}\nbuildFuture: true\n"
          f"paginate: {PER_PAGE}\ndisableKinds: [RSS]\ntaxonomies:\n  tag: tags\n"
          "markup:\n  goldmark:\n    extensions:\n      typographer: true\n"
          "menu:\n  main:\n" + "".join(f"    - name: Section {s}\n      url: /section-{s}/\n" for s in range(min(sections, 5))))
    for rel, text in HUGO.items():
        write(os.path.join(hu, "layouts", rel), text)
    os.makedirs(os.path.join(hu, "static/css"), exist_ok=True)
    shutil.copy(os.path.join(REPO, "themes/atelier/css/site.css"), os.path.join(hu, "static/css/site.css"))


def workspace(sg):
    for sub in ("templates", "themes"):
        shutil.copytree(os.path.join(REPO, sub), os.path.join(sg, sub))
    write(os.path.join(sg, "sitegen.yaml"), "output_dir: dist\n")
    write(os.path.join(sg, "data/platform/bench/tenant.json"),
          json.dumps({"id": "org_bench", "kind": "org", "slug": "bench", "name": "Bench"}))


def corpus(rng, pages, sections, targets):
    """Writes the same pages into every (content folder) of `targets`."""
    def link():
        j = rng.randrange(pages)
        return f"/section-{j % sections}/page-{j}/"
    for s in range(sections):
        fm = f"---\ntitle: Section {s}\ndescription: Pages of section {s}\n---\nSection {s}.\n"
        for t in targets:
            write(os.path.join(t, f"section-{s}/_index.md"), fm)
    for i in range(pages):
        s = i % sections
        text = page_text(rng, i, f"Page {i}", f"Generated page {i} of the benchmark corpus", link)
        for t in targets:
            write(os.path.join(t, f"section-{s}/page-{i}.md"), text)


def many_sites(out, pages, count):
    """N sites in one sitegen workspace, and N separate Hugo sites."""
    rng = random.Random(7)
    sg = os.path.join(out, "sitegen")
    shutil.rmtree(out, ignore_errors=True)
    workspace(sg)
    for k in range(count):
        domain = f"site-{k}.example"
        sitegen_site(sg, domain, f"Site {k}", f"Small site {k}", 3, "atelier" if k % 2 else "nocturne")
        hu = os.path.join(out, "hugo", domain)
        hugo_site(hu, domain, f"Site {k}", 3)
        home = f"---\ntitle: Site {k}\n---\nHome.\n"
        write(os.path.join(sg, f"content/{domain}/_index.md"), home)
        write(os.path.join(hu, "content/_index.md"), home)
        corpus(rng, pages, 3, [os.path.join(sg, f"content/{domain}"), os.path.join(hu, "content")])


def main_one(out, pages):
    sections = 20
    rng = random.Random(42)
    sg = os.path.join(out, "sitegen")
    hu = os.path.join(out, "hugo")
    shutil.rmtree(out, ignore_errors=True)
    workspace(sg)
    sitegen_site(sg, "bench.example", "Bench", "A generated corpus", sections)
    hugo_site(hu, "bench.example", "Bench", sections)
    home = "---\ntitle: Bench\n---\nHome.\n"
    write(os.path.join(sg, "content/bench.example/_index.md"), home)
    write(os.path.join(hu, "content/_index.md"), home)
    corpus(rng, pages, sections, [os.path.join(sg, "content/bench.example"), os.path.join(hu, "content")])


def main():
    out = sys.argv[1]
    pages = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
    if "--sites" in sys.argv:
        many_sites(out, pages, int(sys.argv[sys.argv.index("--sites") + 1]))
    else:
        main_one(out, pages)


if __name__ == "__main__":
    main()
