"""Settings read from the environment, and the one run policy behind every figure shown for a plan.

- ``SALESPLAY_REPLICATIONS``: replication count every notebook uses instead of its default.
- :func:`answer`: the seed and replications every page, command and report uses for a plan, so
  one plan gets one answer wherever a director reads it. Replication ``r`` draws only from its
  own streams, so the quick first batch is the first replications of the full answer, and a
  page's refined figure is the command's (``salesplay plan FILE``) to the last digit.

Examples
--------
>>> import os
>>> os.environ.pop("SALESPLAY_REPLICATIONS", None) and None
>>> replications(200)
200
>>> answer()
Answer(seed=0, quick=10, replications=1000)
>>> os.environ["SALESPLAY_REPLICATIONS"] = "5"; replications(200), answer().quick
(5, 5)
>>> del os.environ["SALESPLAY_REPLICATIONS"]
"""

from __future__ import annotations

import os
from dataclasses import dataclass

__all__ = [
    "replications",
    "Answer",
    "answer",
    "SEED",
    "QUICK_REPLICATIONS",
    "ANSWER_REPLICATIONS",
    "DETAIL_REPLICATIONS",
]

SEED = 0  # every command's default seed, and every page's
QUICK_REPLICATIONS = 10  # a first answer at slider speed, its interval wide; refinement narrows it
ANSWER_REPLICATIONS = 1000  # the answer: a probability's 95% interval about six points wide at worst
DETAIL_REPLICATIONS = 100  # years a page keeps whole (per-lead detail, for pay): memory bounds it, not time


def replications(default: int) -> int:
    """``SALESPLAY_REPLICATIONS`` when set (CI lowers it), else ``default``."""
    value = os.environ.get("SALESPLAY_REPLICATIONS")
    if value is None:
        return default
    if not value.strip().isdigit() or int(value) < 1:
        raise ValueError(f"SALESPLAY_REPLICATIONS={value!r} is not a positive whole number")
    return int(value)


@dataclass(frozen=True)
class Answer:
    """How a plan's figures are simulated: the seed, a quick first batch and the full count."""

    seed: int
    quick: int
    replications: int


def answer() -> Answer:
    """The run policy of a plan's figures (``SALESPLAY_REPLICATIONS`` lowers both counts for CI)."""
    full = replications(ANSWER_REPLICATIONS)
    return Answer(seed=SEED, quick=min(QUICK_REPLICATIONS, full), replications=full)
