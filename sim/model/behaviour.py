"""How reps respond to an incentive plan: where they put effort, and when they close.

The scenario's conversion rates describe reps working under some status-quo plan whose
marginal pay rate is ``reference_rate``. A new plan changes two things:

- **Effort.** A rep's effort on a customer tier (the scenario's stand-in for a product) scales
  with the plan's expected marginal pay on it, ``(rate / reference_rate) ** elasticity``,
  bounded by ``max_effort_change``. The expected marginal pay is the commission's slope
  averaged over the replication's rep-periods at their attainment before the response (so
  capped periods and periods below a threshold count as paying nothing more, and a threshold
  or retroactive jump counts by how often it is near), plus the tier's kicker. Effort moves
  the last stage's conversion: ``p' = min(1, p × effort)``.
  Sales-force research finds effort responds to commission and bonuses (Chung, Steenburgh &
  Sudhir 2014, *Marketing Science* 33(2):165-187: quotas and bonuses raise output, overachievement
  commissions keep the best reps working after quota; Steenburgh 2008, *Quantitative Marketing
  and Economics* 6(3):235-256: lump-sum bonuses mainly raise effort rather than shift timing).
- **Timing.** Near the end of a payout period, a rep may close a deal due just after it a few
  days early (pull in), or hold a deal due just before it until the next period (push out;
  "sandbagging"), when moving it raises the rep's pay: crossing a threshold or an accelerator,
  or escaping a cap or a period lost below the threshold. Oyer 1998 (*Quarterly Journal of
  Economics* 113(1):149-185) found sales higher at fiscal-year ends and lower at the start of
  the next year, as nonlinear contracts predict; Larkin 2014 (*Journal of Labor Economics*
  32(2):199-227) found enterprise-software reps timing deals (and discounting them) to land on
  the steep part of an accelerating commission schedule. A deal moves with probability
  ``1 - exp(-elasticity × gain)``, ``gain`` being the pay gained by moving it relative to its
  pay at ``reference_rate``. At a period end a rep knows this period's revenue but not the
  next one's, and values a deal moved into the next period at the expected marginal pay above,
  less ``push_risk``: a customer asked to wait may not (and a pushed deal is lost that often).
  Both are assumptions of this model. So reps past an accelerator pull deals in, reps who can
  reach a threshold pull, reps who are capped or far below a threshold push out, and a flat
  rate moves nothing. Deals move by mirroring their day across the period end; only deals
  within ``window_days`` of it move. A rep's quota is taken as a full period's (hires and
  leavers are not treated apart).

Process, team and large-deal bonuses change cost only: the model has no response to them.

With ``elasticity: 0`` nothing changes: a plan then changes cost only. The defaults leave the
plan's effect on behaviour off; 0.5 to 1 gives a visible response (an assumption to challenge,
not an estimate: the studies above report effects on sales, not this model's elasticity).
Every draw comes from the ``BEHAVIOUR`` stream, one number per lead, so two plans compared on
the same run see the same draws (common random numbers).

Examples
--------
>>> Behaviour().elasticity
0.0
>>> effort({"A": 0.12, "B": 0.08}, Behaviour(elasticity=1.0, reference_rate=0.08))
{'A': 1.15, 'B': 1.0}
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from sim.constraints import NonNegativeFloat, PositiveFloat, Probability
from sim.scenario import Scenario
from sim.streams import BEHAVIOUR, generator

__all__ = ["Behaviour", "effort", "respond"]

_EFFORT, _TIMING, _COLLECTION, _KEEP, _VALUE = range(5)  # index of the BEHAVIOUR stream (value: + tier index)


class Behaviour(BaseModel):
    """Parameters of the reps' response to a plan (see the module docs for the model and sources)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    elasticity: NonNegativeFloat = Field(0.0, description="Response of effort and timing to pay; 0 = none.")
    reference_rate: PositiveFloat = Field(
        0.08, description="Marginal pay rate of the status-quo plan the scenario's conversions were observed under."
    )
    max_effort_change: Probability = Field(0.15, description="Largest relative change of effort (0.15 = ±15%).")
    window_days: float = Field(14.0, gt=0, le=28, description="Days either side of a period end a deal may move.")
    push_risk: Probability = Field(
        0.5, description="Chance that a deal held back to the next period is lost (the customer does not wait)."
    )


def effort(marginal_rates: dict[str, float], behaviour: Behaviour) -> dict[str, float]:
    """Effort on each customer tier relative to the status quo, from the plan's marginal pay on it."""
    bound = behaviour.max_effort_change
    # A negative marginal rate (a decelerator, a clawback) earns the least effort, as a zero one does.
    return {
        tier: float(np.clip((max(rate, 0.0) / behaviour.reference_rate) ** behaviour.elasticity, 1 - bound, 1 + bound))
        for tier, rate in marginal_rates.items()
    }


def respond(
    deals: pd.DataFrame,
    scenario: Scenario,
    behaviour: Behaviour,
    seed: int,
    pay: Callable[[float, float], float],
    kickers: dict[str, float],
    expected_rate: pd.Series,
    period_starts: np.ndarray,
    quota: np.ndarray,
) -> pd.DataFrame:
    """The last-stage decisions after the reps' response (a new table; ``deals`` is left alone).

    ``deals`` is :func:`sim.incentives.won_deals`' table; ``pay(revenue, quota)`` the plan's
    commission in a period; ``kickers`` its extra rate by tier; ``expected_rate`` the expected
    marginal pay per replication; ``period_starts`` the first day of each payout period and
    ``quota`` a full-period quota per period.
    """
    out = deals.copy()
    if behaviour.elasticity == 0 or out.empty:
        return out
    horizon = float(scenario.horizon_days)
    conversion = {t: scenario.stages[-1].conversion_for(t) for t in scenario.tiers}
    parts = []
    for replication, group in out.groupby("replication", sort=True):
        r = int(replication)
        rate = float(expected_rate.get(r, 0.0))
        lift = effort({t: rate + kickers.get(t, 0.0) for t in scenario.tiers}, behaviour)
        n = int(group["lead"].max()) + 1
        draw = {k: generator(seed, r, BEHAVIOUR, k).random(n) for k in (_EFFORT, _TIMING, _KEEP)}
        group = _effort(group.copy(), draw[_EFFORT], lift, conversion, scenario, seed, r, n, horizon)
        parts.append(_timing(group, draw[_TIMING], draw[_KEEP], behaviour, pay, period_starts, quota, rate, horizon))
    return pd.concat(parts, ignore_index=True)


def _effort(
    group: pd.DataFrame,
    u: np.ndarray,
    lift: dict[str, float],
    conversion: dict[str, float],
    scenario: Scenario,
    seed: int,
    replication: int,
    n: int,
    horizon: float,
) -> pd.DataFrame:
    """Wins kept with probability ``effort`` (< 1), or losses turned to wins so that P(win) = p × effort."""
    e = group["tier"].map(lift).to_numpy(dtype=float)
    p = group["tier"].map(conversion).to_numpy(dtype=float)
    draws = u[group["lead"].to_numpy()]
    won = group["won"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        turn = np.where(p < 1, np.clip(p * (e - 1) / (1 - p), 0, 1), 0.0)
    dropped = won & (draws >= e)
    gained = ~won & (e > 1) & (draws < turn)
    if gained.any():
        leads, tier_of = group["lead"].to_numpy(), group["tier"].to_numpy()
        for i, tier in enumerate(scenario.tiers):
            mask = gained & (tier_of == tier)
            if mask.any():
                drawn = scenario.deal_value_for(tier).sample(generator(seed, replication, BEHAVIOUR, _VALUE + i), n)
                group.loc[mask, "value"] = drawn[leads[mask]]
        delay = (
            scenario.collection_days.sample(generator(seed, replication, BEHAVIOUR, _COLLECTION), n)
            if scenario.collection_days is not None
            else np.zeros(n)
        )
        paid = group["day"].to_numpy() + delay[leads]
        group.loc[gained, "paid_day"] = np.where(paid < horizon, paid, np.nan)[gained]
    group.loc[dropped, ["value", "paid_day"]] = np.nan
    group["won"] = (won & ~dropped) | gained
    return group


def _timing(
    group: pd.DataFrame,
    u: np.ndarray,
    keep: np.ndarray,
    behaviour: Behaviour,
    pay: Callable[[float, float], float],
    starts: np.ndarray,
    quota: np.ndarray,
    next_rate: float,
    horizon: float,
) -> pd.DataFrame:
    """Deals pulled into or pushed out of each period end, rep by rep, period end by period end.

    A pushed deal is worth ``1 - push_risk`` of its next-period pay to the rep, and is lost
    (``keep`` draw below ``push_risk``) as often.
    """
    if len(starts) < 2:
        return group
    ends = np.append(starts[1:], horizon)
    window = behaviour.window_days
    won = group.index[group["won"].to_numpy()]
    day = group["day"].to_numpy(dtype=float).copy()
    value = group["value"].to_numpy(dtype=float)
    draws, kept = u[group["lead"].to_numpy()], keep[group["lead"].to_numpy()] >= behaviour.push_risk
    lost = np.zeros(len(group), dtype=bool)
    position = pd.Series(np.arange(len(group)), index=group.index)
    for _, members in group.loc[won].groupby("rep").groups.items():
        idx = position[members].to_numpy()
        for p in range(len(starts) - 1):
            end = starts[p + 1]
            d = day[idx]
            in_p = (d >= starts[p]) & (d < end)
            now = value[idx][in_p].sum()
            moved = np.zeros(len(idx), dtype=bool)
            for j in sorted(np.flatnonzero((d >= end) & (d < min(end + window, ends[p + 1]))), key=lambda j: d[j]):
                v = value[idx[j]]
                if _moves(pay(now + v, quota[p]) - pay(now, quota[p]) - v * next_rate, v, behaviour, draws[idx[j]]):
                    day[idx[j]] = 2 * end - d[j] - 1e-6
                    now, moved[j] = now + v, True
            for j in sorted(np.flatnonzero(in_p & (d >= end - window) & ~moved), key=lambda j: -d[j]):
                v = value[idx[j]]
                gain = (1 - behaviour.push_risk) * v * next_rate - (pay(now, quota[p]) - pay(now - v, quota[p]))
                if _moves(gain, v, behaviour, draws[idx[j]]):
                    day[idx[j]] = 2 * end - d[j]
                    lost[idx[j]] = not kept[idx[j]]
                    now = now - v
    shift = day - group["day"].to_numpy(dtype=float)
    paid = group["paid_day"].to_numpy(dtype=float) + shift
    group = group.assign(day=day, paid_day=np.where(paid < horizon, paid, np.nan))
    group.loc[lost, ["value", "paid_day"]] = np.nan
    group.loc[lost, "won"] = False
    return group


def _moves(gain: float, value: float, behaviour: Behaviour, draw: float) -> bool:
    """Whether a deal moves: with probability ``1 - exp(-elasticity × gain / (value × reference_rate))``."""
    if value <= 0 or gain <= 1e-9 * value:
        return False
    return draw < 1 - np.exp(-behaviour.elasticity * gain / (value * behaviour.reference_rate))
