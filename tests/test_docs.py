"""The documentation site builds with ``mkdocs build --strict`` (no broken link, no page left out of the
navigation, no warning from the API pages); its generated pages follow the code; the README stays a
front page whose links resolve; nothing in the repository's text points outside it."""

from __future__ import annotations

import doctest
import importlib.util
import os
import re
import subprocess
import sys

import pytest

from tests.conftest import ROOT

# docs/hooks.py (the site's generated pages) is not a package module: loaded from its file.
_SPEC = importlib.util.spec_from_file_location("salesplay_docs_hooks", ROOT / "docs" / "hooks.py")
hooks = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(hooks)


def test_the_site_builds_strictly(tmp_path):
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    for page in (
        "index.html",
        "reference/cli/index.html",
        "reference/api/index.html",
        "tutorials/getting_started/index.html",
    ):
        assert (tmp_path / page).is_file(), page
    api = (tmp_path / "reference" / "api" / "index.html").read_text(encoding="utf-8")
    assert 'id="sim.engine.simulate"' in api  # mkdocstrings rendered the docstrings


def test_the_hooks_examples_hold():
    result = doctest.testmod(hooks)
    assert result.attempted > 0 and result.failed == 0


def test_every_sub_command_has_its_section():
    from sim.cli import build_parser, sub_commands

    commands = sub_commands(build_parser())
    page = hooks.cli_markdown()
    assert [name for name in commands if f"## salesplay {name}\n" not in page] == []


def test_every_notebook_is_a_tutorial_page():
    pages = hooks.generated_pages()
    notebooks = {p for p in ROOT.joinpath("notebooks").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts}
    assert len([page for page in pages if page.startswith("tutorials/")]) == len(notebooks) > 0
    assert "import sim\n" in pages["tutorials/getting_started.md"]


def test_a_lesson_page_carries_the_lesson_text():
    page = hooks.generated_pages()["tutorials/trainer/01_breaking_a_target_down.md"]
    assert "A target nobody can act on is a wish." in page


README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_readme_is_a_front_page():
    """At most 160 lines, and it still names the two set-up commands (CI calls ``make test``)."""
    assert len(README.splitlines()) <= 160
    assert "make lab" in README and "make test" in README


@pytest.mark.parametrize("link", sorted(set(re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", README))))
def test_a_readme_link_resolves(link):
    assert (ROOT / link).exists(), link


def _text_files():
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    for name in tracked.split("\0"):
        if name.endswith((".md", ".py", ".yaml", ".yml", ".ipynb", ".toml", "Makefile")) and (ROOT / name).is_file():
            yield name


def test_nothing_points_outside_the_repository():
    """Docs, notebooks, code and playbooks name no folder beside the checkout (``../shared`` and the like).
    The Makefile may look for an optional data folder there, and this test must spell the pattern."""
    pattern = re.compile(r"\.\./shared|/work/shared")
    offenders = [
        name
        for name in _text_files()
        if name not in {"Makefile", "tests/test_docs.py"}
        and pattern.search((ROOT / name).read_text(encoding="utf-8", errors="replace"))
    ]
    assert offenders == []
