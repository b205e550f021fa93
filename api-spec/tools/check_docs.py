#!/usr/bin/env python3
"""Checks what `cargo xtask docs` wrote (default folder: target/api-docs).

- openapi.json validates as OpenAPI 3.1 (openapi-spec-validator) and every `$ref` in it
  points inside it;
- every operationId of the bundle (paths and webhooks) is named in index.html, and the
  page is self-contained (no <script src=...>);
- every `x-fs-note` is also in its node's description (renderers hide `x-` extensions),
  and no text cites a path outside the repository (a parent-folder path);
- every operation has a response example and a request sample (`x-codeSamples`), and
  every JSON request body an example (webhook events without a published sample are
  listed, not failed: the page shows a sample generated from their schema);
- with Chromium on PATH (or $CHROMIUM; CHROMIUM=off skips it), the page renders: the DOM after its scripts ran
  names the API and every tag.

Exit status 0 when all hold, 1 otherwise (each problem on its own line).
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

from openapi_spec_validator import validate

# Paths a reader of the published reference cannot follow (the maintainers' local material).
PRIVATE_PATH = re.compile(r"\.\./shared\b|\bshared/fastspring\b|/work/")
METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def walk(node, pointer=""):
    yield pointer, node
    if isinstance(node, dict):
        for key, child in node.items():
            yield from walk(child, f"{pointer}/{key.replace('~', '~0').replace('/', '~1')}")
    elif isinstance(node, list):
        for index, child in enumerate(node):
            yield from walk(child, f"{pointer}/{index}")


def has_example(media):
    return "example" in media or any("value" in e or "$ref" in e for e in media.get("examples", {}).values())


def operations(doc):
    for section in ("paths", "webhooks"):
        for name, item in doc.get(section, {}).items():
            for method in METHODS:
                if method in item:
                    yield section, name, method, item[method]


def render_check(html_path, doc, problems):
    chromium = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium or chromium == "off":
        print("chromium not found (or CHROMIUM=off): render check skipped")
        return
    with tempfile.TemporaryDirectory() as profile:
        result = subprocess.run(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--no-first-run", f"--user-data-dir={profile}", "--virtual-time-budget=20000", "--dump-dom",
             "file://" + os.path.abspath(html_path)],
            capture_output=True, text=True, timeout=180,
        )
    dom = re.sub(r"<script\b.*?</script>", "", result.stdout, flags=re.S)
    title = doc["info"]["title"]
    if title not in dom:
        problems.append(f"rendered page: the title {title!r} is not on it (did the page render?)")
    for tag in doc.get("tags", []):
        if f">{tag['name']}<" not in dom:
            problems.append(f"rendered page: tag {tag['name']!r} is not in the navigation")
    print(f"rendered page checked with {chromium} ({len(dom)} characters of DOM)")


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "target/api-docs"
    bundle_path = os.path.join(out, "openapi.json")
    html_path = os.path.join(out, "index.html")
    with open(bundle_path, encoding="utf-8") as f:
        doc = json.load(f)
    with open(html_path, encoding="utf-8") as f:
        html = f.read()
    problems = []

    validate(doc)
    for pointer, node in walk(doc):
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and not ref.startswith("#/"):
                problems.append(f"{pointer}: $ref {ref!r} leaves the bundle")
            for key, text in node.items():
                if isinstance(text, str) and PRIVATE_PATH.search(text):
                    problems.append(f"{pointer}/{key}: cites a path outside the repository "
                                    f"({PRIVATE_PATH.search(text).group(0)!r}); cite public pages or repositories")
            note = node.get("x-fs-note")
            if isinstance(note, str) and note.strip() not in node.get("description", ""):
                problems.append(f"{pointer}: x-fs-note is not in the description")

    ids = []
    unsampled = []
    for section, name, method, op in operations(doc):
        op_id = op.get("operationId")
        where = f"{section} {method.upper()} {name}"
        if not op_id:
            problems.append(f"{where}: no operationId")
            continue
        ids.append(op_id)
        if op_id not in html:
            problems.append(f"{where}: operationId {op_id} is not named in index.html")
        responses = op.get("responses", {}).values()
        if section == "paths" and not any(has_example(m) for r in responses for m in r.get("content", {}).values()):
            problems.append(f"{where} ({op_id}): no response example")
        body = op.get("requestBody", {}).get("content", {})
        if any("json" in t and not has_example(m) for t, m in body.items()):
            if section == "webhooks":
                # No published sample yet: the page shows one generated from the schema.
                unsampled.append(name)
            else:
                problems.append(f"{where} ({op_id}): JSON request body without an example")
        if section == "paths" and not op.get("x-codeSamples"):
            problems.append(f"{where} ({op_id}): no request sample (x-codeSamples)")
    if len(set(ids)) != len(ids):
        problems.append("operationIds are not unique")
    if re.search(r"<script[^>]*\bsrc=", html):
        problems.append("index.html loads a script from elsewhere (build with --inlineBundle)")

    if unsampled:
        print(f"{len(unsampled)} webhook events have no example payload (the page generates one from "
              f"the schema): {', '.join(unsampled)}")
    render_check(html_path, doc, problems)
    for problem in problems:
        print(problem)
    print(f"{bundle_path}: valid OpenAPI {doc['openapi']}; {len(ids)} operations named in {html_path}; "
          f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
