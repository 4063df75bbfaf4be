"""A probability estimated from replications: its Wilson interval (:func:`sim.stats.wilson`) and the one
way pages show both.

Every page, command and report that shows a chance (of reaching a target, of one plan beating
another) shows it as ``65% (61–69%)``: the share of replications, then its 95% Wilson score
interval, which stays inside 0–100% and keeps its coverage near 0 and 1, where the normal
approximation does not.

Examples
--------
>>> chance = Odds(650, 1000)
>>> str(chance)
'65% (62–68%)'
>>> Odds(0, 20).text(), Odds(20, 20).text(), Odds(1000, 1000).text()
('0% (0–16%)', '100% (84–100%)', '100% (99.6–100%)')
>>> Odds.of([True, False, True, True]).successes
3
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.stats import wilson

__all__ = ["Odds", "chance_text"]


@dataclass(frozen=True)
class Odds:
    """``successes`` out of ``trials`` replications, with the interval of the chance behind them."""

    successes: int
    trials: int

    @classmethod
    def of(cls, hits: Any) -> Odds:
        """The odds of a boolean array (one value per replication)."""
        hits = np.asarray(hits, bool)
        return cls(int(hits.sum()), int(hits.size))

    @property
    def p(self) -> float:
        """The share of replications (NaN without any)."""
        return self.successes / self.trials if self.trials else float("nan")

    @property
    def interval(self) -> tuple[float, float]:
        """The 95% Wilson interval (NaN without replications)."""
        low, high = wilson(self.successes, self.trials)
        return float(low), float(high)

    def text(self) -> str:
        """``65% (62–68%)``: :func:`chance_text` of the share and its interval."""
        return chance_text(self.p, *self.interval)

    def __str__(self) -> str:
        return self.text()

    def as_dict(self) -> dict[str, float | int]:
        """``p``, ``low``, ``high``, ``replications``: what JSON outputs hold."""
        low, high = self.interval
        return {"p": self.p, "low": low, "high": high, "replications": self.trials}


def chance_text(p: float, low: float, high: float) -> str:
    """``65% (62–68%)``: a share and its interval in whole percents (one decimal where whole percents
    would hide the interval: ``100% (99.6–100%)``); ``not simulated`` when the share is NaN.

    >>> chance_text(0.65, 0.62, 0.68), chance_text(float("nan"), float("nan"), float("nan"))
    ('65% (62–68%)', 'not simulated')
    """
    if math.isnan(p):
        return "not simulated"
    digits = 1 if round(low * 100) == round(high * 100) else 0

    def bound(share: float) -> str:
        return f"{share * 100:.{digits}f}".removesuffix(".0")

    return f"{p:.0%} ({bound(low)}–{bound(high)}%)"
