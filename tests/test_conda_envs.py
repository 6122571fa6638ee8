"""Each rule's conda environment (``--sdm conda``) provides every package its job imports.

The jobs run in the development venv in the tests and the demo, where everything is
installed, so a package missing from ``envs/*.yaml`` would only show on a cluster run
with ``--sdm conda``. This test reads the code instead: starting from a rule's script,
it follows the msdl modules imported at module level and, through a call graph by name,
the functions the script calls, collecting the imports (also the ones inside those
functions: msdl imports heavy packages where they are used). Every third-party package
reached must be a dependency of the rule's environment.

The call graph is by name (a call ``f(...)`` or ``x.f(...)`` reaches every function named
``f`` in the modules already reached), so it can only over-collect, never miss a call.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "workflow" / "rules"
# conda-forge package name -> the name it is imported by
IMPORT_NAME = {
    "pytorch": "torch",
    "matplotlib-base": "matplotlib",
    "scikit-image": "skimage",
    "pillow": "PIL",
    "pyyaml": "yaml",
}


def _imported(node: ast.AST) -> set[str]:
    if isinstance(node, ast.Import):
        return {a.name for a in node.names}
    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        return {node.module} | {f"{node.module}.{a.name}" for a in node.names}
    return set()


def _called(node: ast.AST) -> set[str]:
    """Names of what ``node`` calls or passes on (a function handed to another counts)."""
    out = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Call) and isinstance(n.func, (ast.Name, ast.Attribute)):
            out.add(n.func.id if isinstance(n.func, ast.Name) else n.func.attr)
        elif isinstance(n, ast.Name):
            out.add(n.id)
    return out


class _Module:
    """A module's imports that run when it is imported, and its functions by name."""

    def __init__(self, path: Path):
        self.imports: set[str] = set()
        self.functions: dict[str, ast.AST] = {}
        self._visit(ast.parse(path.read_text()).body)

    def _visit(self, nodes: list[ast.AST]) -> None:
        for node in nodes:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self.functions[node.name] = node
            else:  # module-level code, class bodies, if/try blocks: run at import
                self.imports |= _imported(node)
                for field in ("body", "orelse", "finalbody", "handlers"):
                    self._visit(getattr(node, field, None) or [])


def _module_file(name: str) -> Path | None:
    base = ROOT / name.replace(".", "/")
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def third_party_imports(script: Path) -> set[str]:
    """Top-level names of the non-standard-library packages a rule script's job imports."""
    modules: dict[str, _Module] = {}
    packages: set[str] = set()

    def add(name: str) -> None:
        top = name.split(".")[0]
        if top == "_bootstrap":
            return
        if top != "msdl":
            packages.add(top)
            return
        parts = name.split(".")
        for i in range(1, len(parts) + 1):
            dotted = ".".join(parts[:i])
            path = _module_file(dotted)
            if path is not None and dotted not in modules:
                modules[dotted] = _Module(path)
                for imported in modules[dotted].imports:
                    add(imported)

    script_module = _Module(script)
    for imported in script_module.imports:
        add(imported)
    pending, seen = list(_called(ast.parse(script.read_text()))), set()
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        for module in list(modules.values()):
            function = module.functions.get(name)
            if function is not None:
                for node in ast.walk(function):
                    for imported in _imported(node):
                        add(imported)
                pending.extend(_called(function))
    return packages - set(sys.stdlib_module_names)


def rules_with_envs() -> list[tuple[str, Path, Path]]:
    """``(rule, script, env file)`` of every rule in workflow/rules/*.smk that runs a script."""
    found = []
    for smk in sorted(RULES.glob("*.smk")):
        for match in re.finditer(r"^rule (\w+):(.*?)(?=^rule |\Z)", smk.read_text(), re.S | re.M):
            name, body = match.groups()
            script = re.search(r'script:\s*"([^"]+)"', body)
            if script is None:
                continue
            env = re.search(r'conda:\s*"([^"]+)"', body)
            assert env, f"{smk.name}: rule {name} runs a script but names no conda environment"
            found.append((name, (RULES / script.group(1)).resolve(), (RULES / env.group(1)).resolve()))
    return found


def env_packages(env_file: Path) -> set[str]:
    deps = yaml.safe_load(env_file.read_text())["dependencies"]
    names = {re.split(r"[<>=! ]", d, maxsplit=1)[0] for d in deps if isinstance(d, str)}
    return {IMPORT_NAME.get(n, n.replace("-", "_")) for n in names}


RULE_ENVS = rules_with_envs()


def test_every_rule_with_a_script_was_found():
    assert len(RULE_ENVS) >= 30  # the workflow's scripted rules; a broken regex finds none
    assert {"train_autoencoder", "normalization_statistics", "mks_import_shard", "uhcsdb_inpainting"} <= {
        r for r, _, _ in RULE_ENVS
    }


@pytest.mark.parametrize(("rule", "script", "env_file"), RULE_ENVS, ids=[r for r, _, _ in RULE_ENVS])
def test_rule_environment_provides_what_its_job_imports(rule, script, env_file):
    missing = third_party_imports(script) - env_packages(env_file)
    assert not missing, f"rule {rule}: {script.name} imports {sorted(missing)}, not in {env_file.relative_to(ROOT)}"


def test_the_analysis_sees_imports_inside_called_functions(tmp_path, monkeypatch):
    """A lazy import counts when the script's job reaches it, not when nothing calls it."""
    package = tmp_path / "msdl"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "jobs.py").write_text(
        "import numpy\n\ndef job():\n    return helper()\n\ndef helper():\n    import skimage\n\n"
        "def other():\n    import matplotlib\n"
    )
    script = tmp_path / "job.py"
    script.write_text("import _bootstrap\nfrom msdl.jobs import job\n\njob()\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert third_party_imports(script) == {"numpy", "skimage"}
