#!/usr/bin/python3
"""validate.py SCHEMA [--extract] [--as KIND] [FILE...] - check lifeboat's JSON against
tests/json/schema.json with the standard library alone.

Each FILE (stdin without one) must hold exactly one JSON document. Without
--as, the document is the one its "command" names, or the error document
when it holds nothing but schema, command and error; --as names a key of
the schema's "files" (FILE.json, FILE.retire.json) or "documents";
--extract takes lifeboat-extract's documents instead of lifeboat-snap's. The
schema uses a subset of JSON Schema: type, enum, required, properties,
additionalProperties, items, oneOf and $ref. Exit 0 when all are valid,
1 with one line per problem otherwise."""
import json
import sys


def resolve(root, ref):
    node = root
    for part in ref.lstrip("#/").split("/"):
        node = node[part]
    return node


TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


def check(root, node, value, path, problems):
    if "$ref" in node:
        return check(root, resolve(root, node["$ref"]), value, path, problems)
    if "oneOf" in node:
        fits = [n for n in node["oneOf"] if not check(root, n, value, path, [])]
        if len(fits) != 1:
            problems.append(f"{path}: matches {len(fits)} of oneOf, not exactly one")
        return problems
    types = node.get("type")
    if types is not None:
        types = [types] if isinstance(types, str) else types
        if not any(TYPES[t](value) for t in types):
            problems.append(f"{path}: {json.dumps(value)[:60]} is not {' or '.join(types)}")
            return problems
    if "enum" in node and value not in node["enum"]:
        problems.append(f"{path}: {json.dumps(value)[:60]} is not one of {node['enum']}")
    if isinstance(value, dict):
        props = node.get("properties", {})
        for key in node.get("required", []):
            if key not in value:
                problems.append(f"{path}: lacks '{key}'")
        extra = node.get("additionalProperties", True)
        for key, v in value.items():
            if key in props:
                check(root, props[key], v, f"{path}.{key}", problems)
            elif extra is False:
                problems.append(f"{path}: '{key}' is not in the schema")
            elif isinstance(extra, dict):
                check(root, extra, v, f"{path}.{key}", problems)
    if isinstance(value, list) and "items" in node:
        for i, v in enumerate(value):
            check(root, node["items"], v, f"{path}[{i}]", problems)
    return problems


def document_for(root, doc, kind, docs):
    if kind:
        node = root["files"].get(kind) or docs.get(kind)
        if node is None:
            raise SystemExit(f"validate.py: no document '{kind}' in the schema")
        return kind, node
    if isinstance(doc, dict) and "error" in doc and set(doc) <= {"schema", "command", "error"}:
        return "error", root["documents"]["error"]
    cmd = doc.get("command") if isinstance(doc, dict) else None
    if cmd not in docs:
        return None, None
    return cmd, docs[cmd]


def main(argv):
    if len(argv) < 2:
        raise SystemExit(__doc__)
    root = json.load(open(argv[1]))
    args, kind, docs = argv[2:], None, root["documents"]
    if args[:1] == ["--extract"]:
        args, docs = args[1:], root["extract_documents"]
    if args[:1] == ["--as"]:
        kind, args = args[1], args[2:]
    sources = [(a, open(a).read()) for a in args] or [("stdin", sys.stdin.read())]
    bad = 0
    for name, text in sources:
        try:
            doc = json.loads(text)
        except ValueError as e:
            print(f"{name}: not one JSON document: {e}")
            bad += 1
            continue
        which, node = document_for(root, doc, kind, docs)
        if node is None:
            print(f"{name}: no document for command {doc.get('command') if isinstance(doc, dict) else None!r}")
            bad += 1
            continue
        for p in check(root, node, doc, which, []):
            print(f"{name}: {p}")
            bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
