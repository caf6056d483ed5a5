"""The README's quickstart is what CI runs."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_quickstart_has_two_commands_and_ci_runs_the_test_one():
    readme = (ROOT / "README.md").read_text()
    quick = readme.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```bash\n(.+?)\n```", quick, flags=re.S)
    assert len(commands) == 2
    assert commands[0].endswith("snakemake --cores 8")
    assert commands[1] in (ROOT / ".ci" / "run").read_text()


def test_readme_is_a_users_page():
    """At most 300 lines; install, run, test, the report and how to change corpus within its first 100 lines; every
    link into docs/ resolves."""
    readme = (ROOT / "README.md").read_text()
    lines = readme.splitlines()
    assert len(lines) <= 300
    head = "\n".join(lines[:100])
    for needed in ("## Quickstart", "pip install", "snakemake --cores 8", "python -m pytest",
                   "results/report/demo/report.html", "## Switching corpus"):
        assert needed in head, needed
    for target in re.findall(r"\]\((docs/[^)#]+)\)", readme):
        assert (ROOT / target).exists(), target


def test_links_between_the_docs_resolve():
    """Every relative link and image in docs/ names a file that exists."""
    for page in (ROOT / "docs").rglob("*.md"):
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", page.read_text()):
            assert (page.parent / target).exists(), f"{page.relative_to(ROOT)} links to missing {target}"
