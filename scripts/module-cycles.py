#!/usr/bin/env python3
"""Prints the module import cycles inside a Rust module tree (default: src/console).

Each file is a node (`forms/severity.rs` is `forms::severity`, `forms/mod.rs` is `forms`).
An edge is a path in the code that names another module of the tree: `use super::x`,
`super::x::f()`, `crate::console::x::T`, or `x::f()` after `use super::x`. A name that a
`mod.rs` re-exports (`pub use form::*`, `pub use state::State`) counts as an edge to the
file that defines it, so a parent that re-exports its children is not a cycle by itself.
`mod x;` declarations and test code (`#[cfg(test)]` onwards, `*_tests.rs`) are left out:
tests may drive the whole program.

Exit status 1 when there is a cycle, so CI can run it.
usage: scripts/module-cycles.py [src/console]
"""
import os
import re
import sys

args = [a for a in sys.argv[1:] if not a.startswith("--")]
root = args[0] if args else "src/console"
root = root.rstrip("/")
# `crate::console::…` paths: the module path is what follows the last `src` directory.
parts = os.path.abspath(root).split(os.sep)
crate_prefix = ["crate"] + parts[len(parts) - parts[::-1].index("src"):]

files = {}  # module path tuple -> source
for dirpath, _, names in os.walk(root):
    for n in names:
        if not n.endswith(".rs") or n.endswith("_tests.rs"):
            continue
        rel = os.path.relpath(os.path.join(dirpath, n), root)
        parts = rel[:-3].split(os.sep)
        if parts[-1] == "mod":
            parts = parts[:-1]
        with open(os.path.join(dirpath, n), encoding="utf-8") as f:
            src = f.read()
        cut = re.search(r"^\s*#\[cfg\(test\)\]", src, re.M)
        if cut:
            src = src[: cut.start()]
        src = re.sub(r"//[^\n]*", "", src)
        files[tuple(parts)] = src

mods = set(files)


def is_dir_module(m):
    return any(len(o) > len(m) and o[: len(m)] == m for o in mods)


# Items defined at a module's top level, to follow re-exports.
defs = {
    m: set(re.findall(r"\bpub(?:\([^)]*\))?\s+(?:struct|enum|fn|const|static|type|trait|mod)\s+(\w+)", s))
    for m, s in files.items()
}


def resolve_item(m, name, seen=None):
    """The module that really defines `name` as seen through module `m`'s re-exports."""
    seen = seen or set()
    if (m, name) in seen:
        return m
    seen.add((m, name))
    src = files.get(m, "")
    for path, items in re.findall(r"pub\s+use\s+([\w:]+?)::(\{[^}]*\}|\*|\w+)\s*;", src):
        target = m + tuple(p for p in path.split("::") if p not in ("self",))
        if path.startswith("super"):
            continue
        if target not in mods:
            continue
        names = re.findall(r"\w+", items) if items != "*" else None
        if names is None and name in defs.get(target, ()):
            return resolve_item(target, name, seen)
        if names and name in names:
            return resolve_item(target, name, seen)
    return m


def resolve(frm, segs):
    """The module a path (list of segments) from module `frm` lands in, or None."""
    base_dir = frm if is_dir_module(frm) or frm == () else frm[:-1]
    if segs[0] == "crate":
        if segs[: len(crate_prefix)] != crate_prefix:
            return None
        cur, rest = (), segs[len(crate_prefix):]
    elif segs[0] in ("super", "self"):
        cur = frm if is_dir_module(frm) or frm == () else frm[:-1]
        # In a file module `a/b.rs`, `super` is `a`; `self` is the file itself.
        cur, rest = (frm, segs[1:]) if segs[0] == "self" else (base_dir, segs[1:])
        while rest and rest[0] == "super":
            cur, rest = cur[:-1], rest[1:]
        if segs[0] == "super" and (is_dir_module(frm) and frm != ()):
            cur = frm[:-1]
    else:
        cur, rest = frm, segs
        if cur + (rest[0],) not in mods:
            return None
    while rest and cur + (rest[0],) in mods:
        cur, rest = cur + (rest[0],), rest[1:]
    if rest and cur in mods:
        cur = resolve_item(cur, rest[0])
    return cur if cur in mods else None


edges = {m: set() for m in mods}
path_re = re.compile(r"\b((?:crate|super|self)(?:::\w+)+|\w+(?:::\w+)+)")
for m, src in files.items():
    # Expand `use a::{b, c::{d}}` into plain paths first.
    def expand(prefix, body):
        out, depth, cur = [], 0, ""
        for ch in body + ",":
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
            if ch == "," and depth == 0:
                out.append(cur.strip())
                cur = ""
            else:
                cur += ch
        paths = []
        for item in filter(None, out):
            g = re.match(r"([\w:]*?)::?\{(.*)\}$", item, re.S)
            if g:
                paths += expand(prefix + g.group(1).split("::"), g.group(2))
            else:
                paths.append(prefix + [s for s in item.split(" as ")[0].split("::") if s])
        return paths

    uses = []
    for body in re.findall(r"\buse\s+([^;]+);", src):
        uses += expand([], body.replace("\n", " "))
    aliases = {}
    for segs in uses:
        target = resolve(m, segs)
        if target is not None:
            if target != m:
                edges[m].add(target)
            aliases[segs[-1]] = segs
    # Paths in the code: `super::x::f`, `crate::console::x`, `alias::f`.
    for p in path_re.findall(re.sub(r"\buse\s+[^;]+;", "", src)):
        segs = p.split("::")
        if segs[0] in aliases and segs[0] not in ("crate", "super", "self"):
            segs = aliases[segs[0]] + segs[1:]
        target = resolve(m, segs)
        if target is not None and target != m:
            edges[m].add(target)


def name(m):
    return "::".join(m) or "(root)"


# Tarjan's strongly connected components: every component of more than one module is a
# cycle (or several); print each with one concrete loop through it.
index, low, stack, on, sccs, counter = {}, {}, [], set(), [], [0]
sys.setrecursionlimit(10000)


def strong(v):
    index[v] = low[v] = counter[0]
    counter[0] += 1
    stack.append(v)
    on.add(v)
    for w in edges[v]:
        if w not in index:
            strong(w)
            low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        comp = []
        while True:
            w = stack.pop()
            on.discard(w)
            comp.append(w)
            if w == v:
                break
        if len(comp) > 1:
            sccs.append(comp)


for v in sorted(mods):
    if v not in index:
        strong(v)


def loop_through(comp):
    comp_set = set(comp)
    start = min(comp)
    # Breadth-first back to the start inside the component.
    prev, queue = {start: None}, [start]
    while queue:
        v = queue.pop(0)
        for w in sorted(edges[v]):
            if w == start:
                path = [v]
                while prev[path[-1]] is not None:
                    path.append(prev[path[-1]])
                return [start] + path[::-1][1:] + [start] if path[-1] == start else None
            if w in comp_set and w not in prev:
                prev[w] = v
                queue.append(w)
    return None


if "--graph" in sys.argv:
    for m in sorted(mods):
        print(f"{name(m)} -> {', '.join(name(t) for t in sorted(edges[m]))}")

if not sccs:
    print(f"no module cycles in {root} ({len(mods)} modules)")
    sys.exit(0)
for comp in sccs:
    loop = loop_through(comp)
    print("cycle: " + " -> ".join(name(m) for m in (loop or sorted(comp))))
    print("  all of: " + ", ".join(name(m) for m in sorted(comp)))
sys.exit(1)
