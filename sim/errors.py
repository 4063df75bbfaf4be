"""Errors that speak to the person who wrote the scenario file.

Every problem in a scenario is a :class:`Problem`: where it is (file, line, field)
and what is wrong. A :class:`ScenarioError` carries all problems found at once and
prints one line per problem::

    playbooks/x.yaml:14: stages[2].conversion: 1.3 is not a probability (0 to 1)

Examples
--------
>>> err = ScenarioError([Problem("stages[2].conversion", "1.3 is not a probability (0 to 1)",
...                              file="playbooks/x.yaml", line=14)])
>>> print(err)
playbooks/x.yaml:14: stages[2].conversion: 1.3 is not a probability (0 to 1)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

__all__ = ["Problem", "ScenarioError", "format_loc"]


def format_loc(loc: Iterable[object]) -> str:
    """Render a location tuple as a field path: ``('stages', 2, 'conversion')`` → ``stages[2].conversion``.

    >>> format_loc(("stages", 2, "conversion"))
    'stages[2].conversion'
    """
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: the field path, the message, and where it stands."""

    field: str
    message: str
    file: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = ""
        if self.file is not None:
            where = f"{self.file}:{self.line}: " if self.line is not None else f"{self.file}: "
        field = f"{self.field}: " if self.field else ""
        return f"{where}{field}{self.message}"


class ScenarioError(Exception):
    """All the problems found in one input, reported together, one line each.

    Not a ``ValueError`` on purpose: pydantic would wrap a ``ValueError`` raised
    inside a validator and lose the per-field locations this error carries.
    """

    def __init__(self, problems: Iterable[Problem]):
        self.problems: list[Problem] = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    def with_file(self, file: str, lines: dict[str, int] | None = None) -> "ScenarioError":
        """The same problems, placed in ``file`` (and at ``lines[field]`` where known)."""
        lines = lines or {}
        return ScenarioError(
            Problem(p.field, p.message, file, p.line if p.line is not None else lines.get(p.field))
            for p in self.problems
        )
