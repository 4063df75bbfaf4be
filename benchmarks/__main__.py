"""Run every benchmark module (``bench_*.py``) in turn, or those named: ``python -m benchmarks des``.

What each module prints (every figure beside its baseline or goal) is shown as it runs and written to
``docs/performance.md``, one section per module with the date, the machine and the commit; a run of
some modules replaces their sections and keeps the others.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib
import io
import os
import platform
import re
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "performance.md"
INTRO = """\
# Performance

Written by `make bench` (`python -m benchmarks`); do not edit by hand. Each section is what one
benchmark module (`benchmarks/bench_*.py`) printed the last time it ran, every figure beside the
baseline or goal it is judged against, with the date, the machine, its load (the mean number of
runnable processes over the last minute, as the run began and ended: above the core count, other work
shared the cores and the timings are longer) and the commit it ran on.
`python -m benchmarks des fast` runs the modules named and replaces only their sections.
Docstrings in the code give the reasons for a design; the figures live here.
"""


class _Tee(io.TextIOBase):
    """Writes to the terminal and keeps a copy."""

    def __init__(self, terminal):
        self.terminal, self.copy = terminal, io.StringIO()

    def write(self, text: str) -> int:
        self.terminal.write(text)
        self.copy.write(text)
        return len(text)

    def flush(self) -> None:
        self.terminal.flush()


def machine() -> str:
    """The processor, cores, memory, system and the versions that matter for speed, on one line.

    >>> "Python" in machine()
    True
    """
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        names = re.findall(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.MULTILINE)
        cpu = names[0] if names else cpu
    parts = [cpu, f"{os.cpu_count()} cores"]
    with contextlib.suppress(ValueError, OSError, AttributeError):
        parts.append(f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB")
    parts += [f"{platform.system()} {platform.release()}", f"Python {platform.python_version()}"]
    parts += [f"{name} {version(name)}" for name in ("numpy", "numba", "simpy")]
    return " · ".join(parts)


def commit() -> str:
    """The checkout's commit (with ``+`` when it has changes), or ``unknown`` outside git."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+" if dirty else "")


def load() -> float:
    """The machine's load: runnable processes averaged over the last minute (0 where unknown).

    >>> load() >= 0
    True
    """
    with contextlib.suppress(OSError, AttributeError):
        return os.getloadavg()[0]
    return 0.0


def section(module: str, output: str, when: dt.datetime, loads: tuple[float, float] | None = None) -> str:
    """One module's section of the page: its title, when and where it ran (and the load as it began and
    ended), and what it printed."""
    doc = importlib.import_module(f"benchmarks.{module}").__doc__ or module
    title = " ".join(doc.strip().split("\n\n")[0].split())  # the docstring's first paragraph
    name = module.removeprefix("bench_")
    busy = f" · load {loads[0]:.1f} to {loads[1]:.1f}" if loads else ""
    return (
        f"## {name}: {title}\n\n_{when:%Y-%m-%d %H:%M} UTC · {machine()}{busy} · commit {commit()}_\n\n"
        f"```text\n{output.rstrip()}\n```\n"
    )


def sections(page: str) -> dict[str, str]:
    """The page's sections by module name (``des`` for ``## des: ...``), in order.

    >>> list(sections("# P\\n\\nintro\\n\\n## des: x\\n\\ntext\\n\\n## fast: y\\n"))
    ['des', 'fast']
    """
    found = {}
    for block in re.split(r"(?m)^(?=## )", page)[1:]:
        found[block[3:].split(":", 1)[0].strip()] = block.rstrip() + "\n"
    return found


def write_page(results: dict[str, str], page: Path = PAGE) -> None:
    """Replace the sections of the modules that ran, keep the others, write the page atomically."""
    kept = sections(page.read_text(encoding="utf-8")) if page.exists() else {}
    kept.update(results)
    text = INTRO + "".join(f"\n{block}" for block in kept.values())
    partial = page.with_name(f".{page.name}.partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, page)


def main(names: list[str]) -> None:
    here = Path(__file__).parent
    modules = sorted(p.stem for p in here.glob("bench_*.py"))
    chosen = [m for m in modules if not names or m.removeprefix("bench_") in names]
    for module in chosen:
        print(f"== {module}", flush=True)
        tee = _Tee(sys.stdout)
        before = load()
        with contextlib.redirect_stdout(tee):
            importlib.import_module(f"benchmarks.{module}").main()
        # Written after each module, so a module that fails later loses nothing finished.
        write_page(
            {
                module.removeprefix("bench_"): section(
                    module, tee.copy.getvalue(), dt.datetime.now(dt.timezone.utc), (before, load())
                )
            }
        )
        print(f"written to {PAGE.relative_to(ROOT)}\n", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
