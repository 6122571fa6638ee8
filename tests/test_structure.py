"""The package's shape: imports run one way, with no circle and no reach into another
stage's private helpers; every rule's script is one call of a stage's ``jobs`` function.

Run as a script to print the counts (modules, import arrows, circles, longest functions)
of this checkout, or of another one: ``python tests/test_structure.py [REPO_ROOT]``.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Layers, lowest first: a module may import its own package and lower layers only.
# The shared basics are the top-level modules of msdl/ (msdl/pipeline.py, which composes
# every stage's config checks, is the one exception: it sits above all stages).
LAYERS = {
    "basics": 0,
    "synthetic": 1,
    "potts": 1,
    "uhcsdb": 1,
    "models": 2,
    "training": 3,
    "localization": 4,
    "evaluation": 4,
    "search": 5,
    "pipeline": 6,
}


def modules(root: Path) -> dict[str, Path]:
    """Dotted name -> file of every module of ``root``/msdl."""
    out = {}
    for path in sorted((root / "msdl").rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def imports(path: Path, names: set[str]) -> list[tuple[str, list[str]]]:
    """``(module imported, [names taken from it])`` for every msdl import of a file,
    including imports inside functions; ``from msdl.a import b`` of a submodule ``b``
    counts as an import of ``msdl.a.b``."""
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out += [(a.name, []) for a in node.names if a.name.split(".")[0] == "msdl"]
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "msdl":
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                out.append((sub, []) if sub in names else (node.module, [alias.name]))
    return out


def graph(root: Path) -> dict[str, dict[str, list[str]]]:
    """module -> {imported module: [names]} (package ``__init__`` imports included)."""
    mods = modules(root)
    out = {}
    for name, path in mods.items():
        edges: dict[str, list[str]] = {}
        for target, taken in imports(path, set(mods)):
            if target in mods and target != name:
                edges.setdefault(target, []).extend(taken)
        out[name] = edges
    return out


def cycles(g: dict[str, dict]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, found, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in g.get(v, {}):
            if w not in index:
                visit(w)
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
                found.append(sorted(comp))

    sys.setrecursionlimit(10_000)
    for v in g:
        if v not in index:
            visit(v)
    return found


def stage_of(module: str) -> str:
    """``msdl.potts.lattice`` -> ``potts``; a top-level module -> ``basics`` (or ``pipeline``)."""
    parts = module.split(".")
    if len(parts) == 2 and parts[1] == "pipeline":
        return "pipeline"
    if len(parts) >= 2 and (ROOT / "msdl" / parts[1]).is_dir():
        return parts[1]
    return "basics"


def longest_functions(root: Path, n: int = 5) -> list[tuple[int, str]]:
    """The ``n`` longest functions of msdl/ and scripts/ as ``(lines, file:name)``."""
    out = []
    for path in [*sorted((root / "msdl").rglob("*.py")), *sorted((root / "scripts").glob("*.py"))]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                out.append((node.end_lineno - node.lineno + 1, f"{path.relative_to(root)}:{node.name}"))
    return sorted(out, reverse=True)[:n]


def test_no_import_circle():
    assert cycles(graph(ROOT)) == []


def test_imports_run_one_way():
    wrong = []
    for module, edges in graph(ROOT).items():
        here = stage_of(module)
        for target in edges:
            there = stage_of(target)
            if there != here and LAYERS[there] >= LAYERS[here]:
                wrong.append(f"{module} ({here}) imports {target} ({there})")
    assert wrong == []


def test_no_reach_into_another_stage_private_names():
    wrong = []
    for module, edges in graph(ROOT).items():
        for target, names in edges.items():
            private = [n for n in names if n.startswith("_")]
            if private and stage_of(target) != stage_of(module):
                wrong.append(f"{module} takes {private} from {target}")
    assert wrong == []


def test_models_package_imports_nothing():
    """The workflow reads msdl.models.knobs without torch: the package module stays empty."""
    assert graph(ROOT)["msdl.models"] == {}


def test_every_script_is_one_jobs_call():
    """scripts/*.py: the bootstrap import, one import from a stage's jobs module, one call
    of it that passes the rule's log; nothing else at module level."""
    wrong = []
    for path in sorted((ROOT / "scripts").glob("*.py")):
        if path.name == "_bootstrap.py":
            continue
        body = [
            n
            for n in ast.parse(path.read_text()).body
            if not isinstance(n, ast.Expr) or not isinstance(n.value, ast.Constant)
        ]
        kinds = [type(n).__name__ for n in body]
        jobs = [n for n in body if isinstance(n, ast.ImportFrom) and n.module and n.module.endswith(".jobs")]
        calls = [n for n in body if isinstance(n, ast.Expr) and isinstance(n.value, ast.Call)]
        passes_log = calls and any(k.arg == "log" for k in calls[0].value.keywords)
        if kinds != ["Import", "ImportFrom", "Expr"] or len(jobs) != 1 or not passes_log:
            wrong.append(f"{path.name}: {kinds}")
    assert wrong == []


if __name__ == "__main__":
    root = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else ROOT
    g = graph(root)
    print(f"{root}: {len(g)} modules, {sum(len(e) for e in g.values())} import arrows between them")
    print(f"circles: {cycles(g) or 'none'}")
    flat = [p for p in (root / "msdl").glob("*.py") if p.name != "__init__.py"]
    packages = sorted(p.name for p in (root / "msdl").iterdir() if (p / "__init__.py").exists())
    print(f"modules directly in msdl/: {len(flat)}; subpackages: {len(packages)} ({', '.join(packages)})")
    print("longest functions (lines):")
    for lines, where in longest_functions(root):
        print(f"  {lines:4d}  {where}")
