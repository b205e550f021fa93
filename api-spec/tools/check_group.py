#!/usr/bin/env python3
"""Validate part of the spec while it is being written.

Usage: python3 api-spec/tools/check_group.py [FILE.yaml ...]

For the named group files (default: every group file that exists), builds a
temporary root holding only the paths and webhooks of the root `openapi.yaml`
that point into those files, runs `openapi-spec-validator` on it, and then
checks every example (`content.*.examples.*.value`) against its schema with
JSON Schema 2020-12, `$ref`s resolved across files. Exits non-zero on any
problem. `pip install openapi-spec-validator` provides both libraries.
"""
import json
import os
import subprocess
import sys
import tempfile

import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

HERE = os.path.dirname(os.path.abspath(__file__))
SPEC = os.path.dirname(HERE)


def load(path):
    with open(path) as f:
        return yaml.safe_load(f)


def main():
    root = load(os.path.join(SPEC, "openapi.yaml"))
    files = sys.argv[1:]
    if not files:
        files = sorted({v["$ref"].split("#")[0] for sec in ("paths", "webhooks") for v in root.get(sec, {}).values()})
        files = [f for f in files if os.path.exists(os.path.join(SPEC, f))]
    files = [os.path.basename(f) for f in files]
    part = dict(root)
    for sec in ("paths", "webhooks"):
        part[sec] = {k: v for k, v in root.get(sec, {}).items() if v["$ref"].split("#")[0] in files}
    if not part["paths"]:
        del part["paths"]
    if not part["webhooks"]:
        del part["webhooks"]
    failures = 0
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", dir=SPEC, delete=False) as tmp:
        yaml.safe_dump(part, tmp, sort_keys=False)
    try:
        r = subprocess.run(["openapi-spec-validator", tmp.name], capture_output=True, text=True)
        print(r.stdout.replace(tmp.name, "<partial root>").strip()[:4000])
        if r.returncode != 0:
            failures += 1
    finally:
        os.unlink(tmp.name)

    # Registry of every yaml file in the spec folder, addressed by file name.
    resources = []
    for name in os.listdir(SPEC):
        if name.endswith(".yaml"):
            doc = load(os.path.join(SPEC, name))
            resources.append((f"file:///spec/{name}", Resource.from_contents(doc, default_specification=DRAFT202012)))
    registry = Registry().with_resources(resources)

    count = 0
    for name in files:
        doc = load(os.path.join(SPEC, name))
        base = f"file:///spec/{name}"

        def walk(node, ptr):
            nonlocal count, failures
            if isinstance(node, dict):
                if "schema" in node and "examples" in node and isinstance(node["examples"], dict):
                    schema = {"$ref": f"{base}#{ptr}/schema"}
                    v = Draft202012Validator(schema, registry=registry)
                    for ex_name, ex in node["examples"].items():
                        if not isinstance(ex, dict) or "value" not in ex:
                            continue
                        count += 1
                        errs = sorted(v.iter_errors(ex["value"]), key=lambda e: list(e.path))
                        for e in errs[:5]:
                            failures += 1
                            loc = "/" + "/".join(str(p) for p in e.absolute_path)
                            print(f"{name}#{ptr}/examples/{ex_name}: at {loc}: {e.message[:300]}")
                for k, val in node.items():
                    walk(val, f"{ptr}/{str(k).replace('~', '~0').replace('/', '~1')}")
            elif isinstance(node, list):
                for i, val in enumerate(node):
                    walk(val, f"{ptr}/{i}")

        walk(doc, "")
    print(f"{len(files)} file(s), {count} example(s) checked, {failures} problem(s)")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
