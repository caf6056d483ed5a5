"""The package is laid out like the workflow: a few top-level modules, one subpackage per stage, imports that only
go down the stages and never in a circle, thin rule files and scripts that never branch on a registered name."""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "babbler"
# Lowest first: a module may import its own layer and the layers below, never one above.
LAYERS = [
    {"", "errors", "va"},
    {"util"},
    {"synth"},
    {"corpora"},
    {"signal"},
    {"timing"},
    {"models"},
    {"sampling"},
    {"voices"},
    {"evaluation"},
    {"live"},
    {"config", "cli", "workflow"},
]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def imports(path: Path) -> set[str]:
    """The babbler modules a file imports anywhere (module level, in functions, under TYPE_CHECKING)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("babbler"):
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names if f"{node.module}.{a.name}" in MODULES)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("babbler"))
    return {m for m in found if m in MODULES}


GRAPH = {m: imports(p) - {m} for m, p in MODULES.items()}


def layer(module: str) -> int:
    top = module.split(".")[1] if "." in module else ""
    return next(i for i, names in enumerate(LAYERS) if top in names)


def test_the_top_level_holds_at_most_ten_modules_and_every_stage_is_a_subpackage():
    top = [p.name for p in PACKAGE.glob("*.py")]
    assert len(top) <= 10, top
    packages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    assert packages == set().union(*LAYERS) - {""} - {p.removesuffix(".py") for p in top}
    for name in packages:  # each says in a few lines what the stage takes and gives
        doc = ast.get_docstring(ast.parse((PACKAGE / name / "__init__.py").read_text()))
        assert doc and len(doc) > 60, name


def test_imports_only_go_down_the_stages():
    up = [(m, d) for m, deps in GRAPH.items() for d in deps if layer(d) > layer(m)]
    assert not up, up


def test_no_import_circle_even_inside_functions():
    """Tarjan's strongly connected components of the import graph: every one is a single module."""
    index, low, stack, on, circles = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in GRAPH[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            part = []
            while True:
                w = stack.pop()
                on.discard(w)
                part.append(w)
                if w == v:
                    break
            if len(part) > 1:
                circles.append(sorted(part))

    for v in GRAPH:
        if v not in index:
            visit(v)
    assert not circles, circles


def test_common_rules_stay_small():
    assert len((ROOT / "rules" / "common.smk").read_text().splitlines()) <= 120


def registered_names() -> set[str]:
    from babbler.corpora.registry import CORPORA
    from babbler.models.registry import FRAME_MODELS
    from babbler.sampling.modes.registry import MODES
    from babbler.sampling.systems import SYSTEMS
    from babbler.voices.registry import VOICES

    return {*CORPORA, *FRAME_MODELS, *MODES, *SYSTEMS, *VOICES}


@pytest.mark.parametrize("script", sorted(p.name for p in (ROOT / "workflow_scripts").glob("*.py")))
def test_scripts_never_branch_on_a_registered_name(script):
    """A script asks the registries; it never compares with a model, system, mode, voice or corpus name."""
    text = (ROOT / "workflow_scripts" / script).read_text()
    compared = set(re.findall(r"""(?:==|!=|\bin)\s*\(?\s*["']([a-z_]+)["']""", text))
    assert not compared & registered_names(), compared & registered_names()
