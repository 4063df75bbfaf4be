"""A probability estimated from replications: its Wilson interval and the one way pages show both.

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

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

__all__ = ["LEVEL", "Odds", "wilson"]

LEVEL = 0.95  # confidence of the interval every page shows


def wilson(successes: Any, trials: Any, level: float = LEVEL) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a binomial proportion (vectorised; NaN where there are no trials).

    >>> low, high = wilson(8, 10, 0.95)
    >>> round(float(low), 3), round(float(high), 3)
    (0.49, 0.943)
    """
    k, n = np.asarray(successes, float), np.asarray(trials, float)
    z = stats.norm.ppf(0.5 + level / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return np.clip(centre - half, 0.0, None), np.clip(centre + half, None, 1.0)  # exact at 0 and 1, not -1e-17


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
        """``65% (62–68%)``: the share and its interval in whole percents (one decimal where whole
        percents would hide the interval: ``100% (99.6–100%)``)."""
        if not self.trials:
            return "not simulated"
        low, high = self.interval
        digits = 1 if round(low * 100) == round(high * 100) else 0

        def bound(share: float) -> str:
            return f"{share * 100:.{digits}f}".removesuffix(".0")

        return f"{self.p:.0%} ({bound(low)}–{bound(high)}%)"

    def __str__(self) -> str:
        return self.text()

    def as_dict(self) -> dict[str, float | int]:
        """``p``, ``low``, ``high``, ``replications``: what JSON outputs hold."""
        low, high = self.interval
        return {"p": self.p, "low": low, "high": high, "replications": self.trials}
