#!/usr/bin/python3
"""check-man.py SCHEMA PAGE - man/lifeboat-json.7 and tests/json/schema.json
name the same fields with the same types.

In the page, each object (section OBJECTS) and each document (sections
DOCUMENTS and EXTRACT DOCUMENTS) is a subsection named for its key in the schema, whose fields
are list items ".It Li FIELD Vt TYPE" (schema, command and error, which
every document has, are listed once, under the error document); a field of an inline object is
written PARENT.FIELD, of an array's objects PARENT[].FIELD. TYPE is the
schema's: string, integer, boolean, object, a definition's name, "X|null",
"array of X", "object of X". Exit 0 when both agree, 1 with one line per
difference. With --skeleton, print the lists the schema implies."""
import json
import re
import sys


def type_name(node):
    if "$ref" in node:
        return node["$ref"].rsplit("/", 1)[1]
    if "oneOf" in node:
        return "|".join(type_name(n) for n in node["oneOf"])
    t = node.get("type")
    if isinstance(t, list):
        return "|".join(t)
    if t == "array":
        return "array of " + type_name(node["items"])
    if t == "object" and isinstance(node.get("additionalProperties"), dict):
        return "object of " + type_name(node["additionalProperties"])
    return t


def fields(node, prefix=""):
    """(path, type) of every field, inline objects and arrays walked."""
    out = []
    for key, sub in node.get("properties", {}).items():
        path = prefix + key
        out.append((path, type_name(sub)))
        if sub.get("type") == "object" and sub.get("properties"):
            out += fields(sub, path + ".")
        items = sub.get("items", {})
        if sub.get("type") == "array" and items.get("properties"):
            out += fields(items, path + "[].")
    return out


def from_schema(schema):
    want = {}
    for key, node in schema["definitions"].items():
        want[("OBJECTS", key)] = fields(node)
    common = {"schema", "command", "error"}  # every document's, listed once
    for key, node in schema["documents"].items():
        want[("DOCUMENTS", key)] = [f for f in fields(node)
                                    if key == "error" or f[0] not in common]
    for key, node in schema.get("extract_documents", {}).items():
        want[("EXTRACT DOCUMENTS", key)] = [f for f in fields(node) if f[0] not in common]
    return want


def from_page(text):
    got, sh, ss = {}, None, None
    for line in text.splitlines():
        m = re.match(r'\.Sh\s+"?([A-Z ]+?)"?\s*$', line)
        if m:
            sh, ss = m.group(1), None
            continue
        m = re.match(r'\.Ss\s+"?([^"]+?)"?\s*$', line)
        if m and sh in ("OBJECTS", "DOCUMENTS", "EXTRACT DOCUMENTS"):
            ss = m.group(1).split()[0]
            got[(sh, ss)] = []
            continue
        m = re.match(r'\.It\s+Li\s+(\S+)\s+Vt\s+(.+?)\s*$', line)
        if m and ss:
            got[(sh, ss)].append((m.group(1), m.group(2)))
    return got


def main(argv):
    skeleton = "--skeleton" in argv
    argv = [a for a in argv if a != "--skeleton"]
    schema = json.load(open(argv[1]))
    want = from_schema(schema)
    if skeleton:
        for (sh, ss), fl in want.items():
            print(f"{sh} .Ss {ss}")
            for f, t in fl:
                print(f".It Li {f} Vt {t}")
        return 0
    got = from_page(open(argv[2]).read())
    bad = []
    for key in sorted(set(want) | set(got)):
        where = f"{key[0].lower()} '{key[1]}'"
        if key not in got:
            bad.append(f"{where}: in the schema, not in the page")
            continue
        if key not in want:
            bad.append(f"{where}: in the page, not in the schema")
            continue
        w, g = dict(want[key]), dict(got[key])
        for f in w.keys() - g.keys():
            bad.append(f"{where}: field '{f}' is not in the page")
        for f in g.keys() - w.keys():
            bad.append(f"{where}: field '{f}' is not in the schema")
        for f in w.keys() & g.keys():
            if w[f] != g[f]:
                bad.append(f"{where}: field '{f}' is {w[f]} in the schema, {g[f]} in the page")
    for b in bad:
        print("not ok -", b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
