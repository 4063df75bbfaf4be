"""MkDocs hooks: the pages generated from the code and the notebooks at build time, never committed.

- ``reference/cli.md``: every sub-command's help, from the ``salesplay`` argument parser;
- ``reference/scenario.md`` and ``reference/incentive-plans.md``: the fields of scenario and incentive
  plan files, from the pydantic models' descriptions (the text of ``playbooks/README.md`` and
  ``playbooks/incentives/README.md``);
- ``tutorials/<folder>/<notebook>.md``: each notebook under ``notebooks/`` as a page (its text and code;
  the trainer's lessons with their English text), listed under Tutorials in the navigation.
"""

from __future__ import annotations

import json
import posixpath
import re
import sys
from pathlib import Path

import yaml
from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
_LINK = re.compile(r"\[([^\]]+)\]\(([^)#:\s]+)(#[^)]*)?\)")
sys.path.insert(0, str(ROOT))  # the checkout's own package, whichever copy is installed


def _moved(text: str, source: str, page: str) -> str:
    """``text`` written at repository path ``source``, with its relative links made to work from the docs
    page ``page``: a link into ``docs/`` is rewritten, one to another repository file becomes its path.

    >>> _moved("see [notes](../docs/practice.md)", "playbooks/README.md", "reference/scenario.md")
    'see [notes](../practice.md)'
    >>> _moved("see [plans](incentives/README.md)", "playbooks/README.md", "reference/scenario.md")
    'see plans (`playbooks/incentives/README.md`)'
    """

    def relink(match: re.Match) -> str:
        text, target = match[1], posixpath.normpath(posixpath.join(posixpath.dirname(source), match[2]))
        if target.startswith("docs/"):
            return f"[{text}]({posixpath.relpath(target[len('docs/') :], posixpath.dirname(page))}{match[3] or ''})"
        return f"{text} (`{target}`)"

    return _LINK.sub(relink, text)


def cli_markdown() -> str:
    """The command-line reference: the parser's help for the command and every sub-command."""
    from sim.cli import build_parser, sub_commands

    parser = build_parser()
    parser.prog = "salesplay"
    parts = [
        "# Command line\n",
        "`salesplay` (also `python -m sim`) runs every part of Salesplay from a shell. A problem with an "
        "input file is printed one line each (file, line, field) and the command exits with status 2. "
        "This page is generated from the command's own parser.\n",
        "```text",
        parser.format_help().rstrip(),
        "```\n",
    ]
    for name, sub in sub_commands(parser).items():
        sub.prog = f"salesplay {name}"
        parts += [f"## salesplay {name}\n", "```text", sub.format_help().rstrip(), "```\n"]
    return "\n".join(parts)


def _lesson_text(name: str) -> str:
    """A lesson's English text (title, introduction, experiment, case), as the notebook shows it."""
    parts = []
    for key, value in _lesson(name).items():
        text = value.get("en") if isinstance(value, dict) else None
        if isinstance(text, str) and "{" not in text:
            parts.append(f"## {text}" if key == "title" else text.strip())
    return "\n\n".join(parts)


def notebook_markdown(path: Path) -> str:
    """A notebook as a page: its Markdown cells as they are, its code cells as Python blocks."""
    source = path.relative_to(ROOT).as_posix()
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    parts = []
    for cell in cells:
        text = "".join(cell["source"]).strip()
        if cell["cell_type"] == "markdown":
            parts.append(text)
        elif cell["cell_type"] == "code" and text:
            parts.append(f"```python\n{text}\n```")
    note = (
        f'!!! note "Run it"\n    This page shows `{source}` without its outputs: open it with `make lab` '
        "(or `make dashboard` for the director's notebooks) to run it."
    )
    parts.insert(1, note)
    lessons = re.findall(r'load_lesson\("(\w+)"\)', "\n".join(parts))
    for name in dict.fromkeys(lessons):
        parts.append("## The lesson's text\n\n" + _lesson_text(name))
    return "\n\n".join(parts) + "\n"


def _notebook_pages() -> dict[str, Path]:
    """Docs path → notebook, the getting-started notebook first, then by folder."""
    books = sorted(NOTEBOOKS.rglob("*.ipynb"), key=lambda p: (p.parent != NOTEBOOKS, p.relative_to(NOTEBOOKS)))
    return {
        f"tutorials/{p.relative_to(NOTEBOOKS).with_suffix('.md').as_posix()}": p
        for p in books
        if ".ipynb_checkpoints" not in p.parts
    }


def _lesson(name: str) -> dict:
    return yaml.safe_load((ROOT / "sim" / "lessons" / "content" / f"{name}.yaml").read_text(encoding="utf-8"))


def _title(path: Path) -> str:
    """A lesson's English title, or else the notebook's first heading."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    lessons = re.findall(r'load_lesson\("(\w+)"\)', "\n".join("".join(cell["source"]) for cell in cells))
    if lessons:
        return _lesson(lessons[0])["title"]["en"]
    for cell in cells:
        heading = re.search(r"^#\s+(.+)$", "".join(cell["source"]), re.MULTILINE)
        if cell["cell_type"] == "markdown" and heading:
            return heading[1].strip()
    return path.stem.replace("_", " ")


def generated_pages() -> dict[str, str]:
    """Every generated page's text, by its path under ``docs/``."""
    from sim.reference import plan_reference_markdown, reference_markdown

    pages = {
        "reference/cli.md": cli_markdown(),
        "reference/scenario.md": _moved(reference_markdown(), "playbooks/README.md", "reference/scenario.md"),
        "reference/incentive-plans.md": _moved(
            plan_reference_markdown(), "playbooks/incentives/README.md", "reference/incentive-plans.md"
        ),
    }
    pages.update((page, notebook_markdown(path)) for page, path in _notebook_pages().items())
    return pages


def on_config(config):
    """List every notebook under the Tutorials entry of the navigation."""
    for index, entry in enumerate(config.nav):
        if isinstance(entry, dict) and entry.get("Tutorials") == "tutorials/index.md":
            config.nav[index] = {
                "Tutorials": ["tutorials/index.md"] + [{_title(path): page} for page, path in _notebook_pages().items()]
            }
    return config


def on_files(files: Files, config) -> Files:
    for page, text in generated_pages().items():
        files.append(File.generated(config, page, content=text))
    return files
