"""Each rule's conda env declares every third-party package its script imports (through babbler too)."""

import ast
import re
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
# import name -> conda-forge package name
CONDA_NAME = {
    "numpy": "numpy", "scipy": "scipy", "pandas": "pandas", "soundfile": "pysoundfile", "librosa": "librosa",
    "soxr": "soxr-python", "tqdm": "tqdm", "pyarrow": "pyarrow", "parselmouth": "praat-parselmouth",
    "matplotlib": "matplotlib", "torch": "pytorch", "yaml": "pyyaml", "silero_vad": "silero-vad",
    "markupsafe": "markupsafe", "jinja2": "jinja2",
}


def _runtime_nodes(tree: ast.AST):
    """Every node of a module but those under `if TYPE_CHECKING:` (imports for annotations only never run)."""
    todo = [tree]
    while todo:
        node = todo.pop()
        yield node
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            todo.extend(node.orelse)
            continue
        todo.extend(ast.iter_child_nodes(node))


def _imports(path: Path) -> set[str]:
    names = set()
    for node in _runtime_nodes(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names |= {f"{node.module}.{a.name}" for a in node.names}
    return names


def _module_file(name: str) -> Path | None:
    base = ROOT.joinpath(*name.split("."))
    for cand in (base.with_suffix(".py"), base / "__init__.py"):
        if cand.exists():
            return cand
    return None


def third_party_imports(script: Path) -> set[str]:
    """Top-level third-party modules reached from a script, following babbler's own modules."""
    seen, todo, found = set(), [script], set()
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for name in _imports(path):
            top = name.split(".")[0]
            if top == "babbler":
                f = _module_file(name)
                if f:
                    todo.append(f)
            elif top not in sys.stdlib_module_names and not top.startswith("_"):
                found.add(top)
    return found


def workflow_rules() -> list:
    """Every rule of the workflow as Snakemake itself parses it (rules under `if` blocks included: the default
    config defines them all)."""
    from snakemake.api import SnakemakeApi
    from snakemake.settings.types import ConfigSettings, ResourceSettings

    with tempfile.TemporaryDirectory() as work, SnakemakeApi() as api:
        wf = api.workflow(resource_settings=ResourceSettings(),
                          config_settings=ConfigSettings(configfiles=[ROOT / "config.yaml"]),
                          snakefile=ROOT / "Snakefile", workdir=Path(work))
        return [r for r in wf._workflow.rules if r.name != "all"]


def rule_envs() -> list[tuple[str, Path, Path]]:
    """(rule, env file, script) for every rule that runs a script."""
    out = []
    for rule in workflow_rules():
        if rule.script:
            assert rule.conda_env, f"rule {rule.name} runs a script but declares no conda env"
            base = Path(rule.snakefile).parent
            out.append((rule.name, (base / rule.conda_env).resolve(), (base / rule.script).resolve()))
    return out


def test_every_rule_has_a_log_and_an_env():
    rules = workflow_rules()
    defined = {m for smk in (ROOT / "rules").glob("*.smk") for m in re.findall(r"^\s*rule (\w+):", smk.read_text(), re.M)}
    named = {r.name for r in rules if "__" not in r.name}
    made = {r.name.split("__")[0] for r in rules if "__" in r.name}  # made per batch or generated set at parse time
    assert named == defined and len(named) >= 13
    assert made == {"corpus_dialogue", "mono", "prosody", "events", "sample", "render", "render_summary"}
    for rule in rules:
        assert rule.log and rule.conda_env, f"rule {rule.name} lacks log: or conda:"


def test_envs_declare_what_scripts_import():
    pairs = rule_envs()
    assert len(pairs) >= 18
    for rule, env_file, script in pairs:
        env = yaml.safe_load(env_file.read_text())
        assert env["channels"][:1] == ["conda-forge"] and "nodefaults" in env["channels"]
        conda_deps = [d for d in env["dependencies"] if isinstance(d, str)]
        pip_deps = [p for d in env["dependencies"] if isinstance(d, dict) for p in d.get("pip", [])]
        assert all(re.search(r"=\d", d) for d in conda_deps + pip_deps), f"{env_file} has an unpinned package"
        declared = {re.split(r"[=<> ]", d)[0] for d in conda_deps + pip_deps}
        needed = third_party_imports(script)
        unknown = needed - set(CONDA_NAME)
        assert not unknown, f"{script.name} imports {unknown}: add them to CONDA_NAME"
        missing = {CONDA_NAME[n] for n in needed} - declared
        assert not missing, f"rule {rule}: {env_file.name} lacks {sorted(missing)} imported by {script.name}"
