#!/usr/bin/env python3
"""Compiles the README's Rust code as a new user would: a new crate outside the
workspace, with the README's own dependency block.

Every ```toml block that starts with `[dependencies]` opens a crate; the ```rust blocks
after it (not `ignore`) are that crate's binaries, one file each. Doc-test hidden lines
(`# ...`) are shown, as a reader copying the block would fill them in; a block without
`fn main` gets an empty one. `path = "fastspring-api"` points at this repository's crate.

Reproducible: each crate starts from the workspace's Cargo.lock, and the check fails if
cargo had to resolve any package version that lock does not pin (so the crates registry
is the only thing reached, for packages the workspace already uses). The crates live in
a temporary folder and are checked with the workspace's target folder (`$CARGO_TARGET_DIR`
or `target/`), so the dependencies the workspace built are reused.

Usage: scripts/check_readme.py [README.md]
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FENCE = re.compile(r"^```(\S*)\s*$")


def blocks(text):
    """(info string, body) of every fenced block, in order."""
    out, info, body = [], None, []
    for line in text.splitlines():
        match = FENCE.match(line)
        if info is None and match and match.group(1):
            info, body = match.group(1), []
        elif info is not None and line.startswith("```"):
            out.append((info, "\n".join(body) + "\n"))
            info = None
        elif info is not None:
            body.append(line)
    return out


def crates(readme):
    """[(dependency block, [rust sources])] in README order."""
    out = []
    for info, body in blocks(readme):
        lang = info.split(",")
        if lang[0] == "toml" and body.lstrip().startswith("[dependencies]"):
            out.append((body, []))
        elif lang[0] == "rust" and "ignore" not in lang:
            if not out:
                sys.exit("check_readme: a rust block comes before any [dependencies] block")
            out[-1][1].append(body)
    return out


def shown(source):
    """The block as a reader copies it: doc-test hidden lines shown."""
    lines = []
    for line in source.splitlines():
        stripped = line.lstrip()
        if stripped == "#":
            lines.append("")
        elif stripped.startswith("# "):
            lines.append(line.replace("# ", "", 1))
        else:
            lines.append(line)
    text = "\n".join(lines) + "\n"
    if "fn main" not in text:
        text = "#![allow(dead_code)]\n" + text + "\nfn main() {}\n"
    return text


def packages(lock_path):
    """The (name, version) pairs a Cargo.lock pins."""
    with open(lock_path) as f:
        text = f.read()
    return set(re.findall(r'\[\[package\]\]\nname = "([^"]+)"\nversion = "([^"]+)"', text))


def main():
    readme_path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(REPO, "README.md")
    with open(readme_path) as f:
        found = crates(f.read())
    if not found:
        sys.exit("check_readme: no [dependencies] block in the README")
    pinned = packages(os.path.join(REPO, "Cargo.lock"))
    target = os.environ.get("CARGO_TARGET_DIR") or os.path.join(REPO, "target")
    env = dict(os.environ, CARGO_TARGET_DIR=target)
    scratch = tempfile.mkdtemp(prefix="readme-check-")
    try:
        for index, (deps, sources) in enumerate(found, 1):
            name = f"readme-check-{index}"
            root = os.path.join(scratch, name)
            os.makedirs(os.path.join(root, "src", "bin"))
            deps = re.sub(
                r'path\s*=\s*"fastspring-api"',
                'path = "%s"' % os.path.join(REPO, "fastspring-api").replace("\\", "/"),
                deps,
            )
            with open(os.path.join(root, "Cargo.toml"), "w") as f:
                f.write(
                    f'[package]\nname = "{name}"\nversion = "0.0.0"\nedition = "2024"\n'
                    f"publish = false\n\n[workspace]\n\n{deps}"
                )
            shutil.copy(os.path.join(REPO, "Cargo.lock"), os.path.join(root, "Cargo.lock"))
            for number, source in enumerate(sources, 1):
                with open(os.path.join(root, "src", "bin", f"block_{number}.rs"), "w") as f:
                    f.write(shown(source))
            print(f"== README crate {index}: {len(sources)} block(s)", flush=True)
            result = subprocess.run(["cargo", "check", "--quiet", "--bins"], cwd=root, env=env)
            if result.returncode != 0:
                sys.exit(f"check_readme: README crate {index} does not compile (kept in {root})")
            extra = packages(os.path.join(root, "Cargo.lock")) - pinned
            extra = sorted(p for p in extra if p[0] != name)
            if extra:
                sys.exit(
                    "check_readme: resolved versions the workspace's Cargo.lock does not pin: "
                    + ", ".join(f"{n} {v}" for n, v in extra)
                )
    except SystemExit:
        raise
    else:
        shutil.rmtree(scratch)
    print(f"README: {len(found)} crate(s) compile with the README's dependencies")


if __name__ == "__main__":
    main()
