"""The flow engine: a vectorised numpy flow model, summary only, approximate (``engine="flow"``).

Where ``des`` and ``fast`` follow every lead, this engine follows *counts*: per replication,
arrival day and tier, how many leads enter, start, finish and convert at each stage, and
takes times from queueing formulas instead of a queue. It returns the same ``replications``,
``stage_stats`` and ``monthly`` tables as the exact engines (no per-lead tables:
``detail=True`` is refused), thousands of replications per second.

The model
---------
- **Warm start**: the day grid begins :func:`sim.model.opening.warmup_days` before day 0, as the exact
  engines' warm-up does (arrivals with the seasonality of the calendar months before the start date, the
  reps on hand at day 0 on the team from the grid's first day); flows and queues run from an empty funnel
  there, and only what happens in the year is counted (see **Fates**).
- **Arrivals**: per channel and day a Poisson count with the seasonal rate
  (:func:`sim.model.arrivals.daily_rates`), split among tiers by a multinomial draw.
- **Capacity**: each replication's rosters are the exact engines' own
  (:func:`sim.model.staffing.draw_rosters`: hires, ramp-up, attrition and replacements, from the same
  streams), so a replication has the same staff in every engine; per day the reps on hand and their
  summed productivity.
- **Waiting for a rep**: a team is one pool serving all its stages' (and routed tiers') leads.
  Per day, the expected arrival rate of work at each stage (arrivals thinned by conversion and
  shifted by the time to reach the stage) and the team's reps drive a time-varying queue
  (:func:`sim.queueing.time_varying_queue`, the pointwise stationary fluid flow approximation:
  it starts empty, builds up after a surge, settles to the Allen-Cunneen M/G/c queue and grows as a
  fluid when work outruns the team; from empty it is bounded by a driftless reflected Brownian
  motion while the team keeps up). A lead arriving on a day waits until the team's capacity from
  then on has done the work of the leads ahead of it (days without reps wait in full). A team with a
  ``priority`` has a lane per level, its wait scaled by Cobham's factors for non-preemptive priority.
  Waits and arrival rates are solved together by a few fixed-point rounds.
- **Attrition**: when reps leave, the horizon probabilities shared by the replications are the mixture
  over the rosters of the run's first 64 replications (each roster with its own flows and waits); every
  replication's flows, waits and utilisation are solved for its own roster (a vacancy upstream holds
  leads back and sends them on in a burst when it is filled).
- **Fates**: the leads of each arrival day and tier that end a stage before the horizon are a
  binomial draw, with the probability that the time to get there is shorter than what is left
  of the horizon (times to reach and to leave a stage: gamma distributions matched to the
  mean and variance of the stages' waits, work and customer-side times); of those, the
  converted are binomial with the tier's conversion (``Scenario.conversion_of``, with routing
  and skill) and enter the next stage. Started and worked counts are nested draws alike. Days in
  stage count the leads that end the stage within the horizon, so long stays are cut off as in the
  exact engines. The leads that reached a stage before day 0 are drawn apart: those that left it
  before day 0 (decided in the warm-up, or on to the next stage before day 0) and those that leave it in
  the year, counted in the year's won and lost but not in the stage's figures, which count the leads
  reaching the stage in the year (a lead in a stage both at day 0 and at the horizon is neglected: the
  joint probability is taken as the smaller of the two). ``opening`` is the warm-up's leads not decided
  before day 0; the work of leads reaching a stage before day 0 counts where it falls in the year.
- **Money**: won deals' values are drawn exactly (one draw per deal); the won are spread over
  calendar months by the distribution of their winning day; payment (bad debt, collection
  delay) by a multinomial draw over the month of payment, deals won in the warm-up included, the delay
  counted from the time of the win and a month's wins weighted towards the days they are expected on
  (on a short horizon, its last days, with little time left to be paid).

Randomness comes from one generator per replication (purpose ``FLOW`` of :mod:`sim.streams`) and the
replication's staffing streams, so replication ``r`` depends only on ``(seed, r)``, whatever the block
size.

Where it differs from the exact engines
---------------------------------------
- Counts and money (leads, the opening pipeline, won, revenue, collected, per-stage conversions) agree
  with the exact engines in the mean, within the tolerances tests/test_engine_flow.py asserts.
- Waits and days in stage agree closely where a team keeps well below full load. They are less reliable
  for a team whose stages' work differs widely (Allen-Cunneen's approximation overstates its queue when it
  has several reps), for new reps ramping up from a low productivity (a job keeps the pace of the day it
  starts, which the team's summed productivity does not see), from an empty start (a fluid queue settles
  faster than a real one), for a lead handed straight on to the next stage of the same team (it arrives
  just as its rep frees up, not at random), for very variable work on short runs, and for overloaded
  teams, whose waits depend on which leads the horizon cuts off. The spread of waits across
  replications is understated (a replication's queues see expected arrivals for its staff, not its own
  random ones).
- How closely they agree, playbook by playbook and on generated funnels, is on the background page
  on the engines (``docs/background/engines.md``) and in ``make bench``.

Results carry ``approximation`` in ``summary()`` saying so.

Examples
--------
>>> import sim
>>> s = sim.load("benchmarks/w1.yaml")
>>> r = sim.simulate(s, replications=20, seed=1, engine="flow", detail=False, progress=False)
>>> r.summary()["engine"], len(r.replications), bool(60_000 < r.replications.leads.mean() < 86_000)
('flow', 20, True)
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.signal import fftconvolve
from scipy.special import gammainc, ndtri

from sim.calendar import months_of_horizon
from sim.costs import replication_costs
from sim.model.arrivals import daily_rates
from sim.model.fates import routes_and_levels
from sim.model.opening import warmup_days
from sim.model.staffing import Roster, draw_rosters
from sim.queueing import time_varying_queue
from sim.results import STAGE_SUMS, Results, stage_slots
from sim.scenario import Scenario
from sim.streams import FLOW, generator

__all__ = ["run_block", "APPROXIMATION", "simplified"]

APPROXIMATION = (
    "flow: counts drawn per arrival day and tier; waits from a time-varying M/G/c queue (pointwise "
    "stationary fluid flow, Allen-Cunneen when stationary); waits approximate near full load, on short "
    "horizons and for leads handed straight on to the same team"
)
_ROUNDS = 4  # fixed-point rounds between waits and arrival rates
_REFERENCE_ROSTERS = 64  # rosters (the run's first replications') mixed for the shared flows when reps leave
_BEHIND = 0.98  # a team this busy on some day has fallen behind: its reps work without pause
_NEVER = 100.0  # a wait of this many horizons: the lead is never served


class _Gamma:
    """A gamma distribution given by mean and variance (a point mass is a very narrow gamma)."""

    def __init__(self, mean: np.ndarray, var: np.ndarray):
        mean = np.maximum(np.asarray(mean, dtype=float), 1e-9)
        var = np.maximum(np.asarray(var, dtype=float), 1e-6 * mean**2 + 1e-12)
        self.mean, self.var = mean, var
        self.shape, self.scale = mean**2 / var, var / mean

    def cdf(self, x: np.ndarray) -> np.ndarray:
        return gammainc(self.shape, np.maximum(x, 0.0) / self.scale)

    def partial_mean(self, x: np.ndarray) -> np.ndarray:
        """``E[X; X < x]``."""
        return self.shape * self.scale * gammainc(self.shape + 1, np.maximum(x, 0.0) / self.scale)


class _Plan:
    """Everything the replications of a run share: rates, expected flows, waits and the horizon cut's
    probabilities, from the given rosters (the scenario's own, or reference rosters when reps leave)."""

    def __init__(self, scenario: Scenario, rosters: list[list[Roster]]):
        s = scenario
        self.rosters = rosters[0]  # the roster, when every replication has the same
        self.horizon = h = s.horizon_days
        # The day grid starts with the warm-up (day -W at index 0): flows and queues run from an empty funnel
        # then, and only what falls in [0, h) is counted.
        self.warmup = warm = warmup_days(s)
        self.grid = g = warm + h
        tiers = s.tiers
        n_stages, n_tiers = len(s.stages), len(tiers)
        self.rates = np.array([daily_rates(c, s, -warm) for c in s.channels])  # (channels, grid days)
        self.mix = np.array([[(c.tiers or {tiers[0]: 1.0}).get(t, 0.0) for t in tiers] for c in s.channels])
        self.conv = np.array([[s.conversion_of(k, t) for t in tiers] for k in range(n_stages)])  # (stages, tiers)
        # By stage and tier the team that works a lead and its priority level there, as in the exact engines. A
        # team's queue has a lane per priority level (one when first come, first served); lane_of[k, i] is where
        # stage k's leads of tier i wait.
        _, self.team_of, self.level_of, self.levels = routes_and_levels(s)
        self.lane_first = np.r_[0, np.cumsum(self.levels)]
        self.lane_of = self.lane_first[self.team_of] + self.level_of
        work_mean = np.array([st.work_days.mean for st in s.stages])
        work_m2 = np.array([st.work_days.var + st.work_days.mean**2 for st in s.stages])
        cust_mean = np.array([st.wait_days.mean if st.wait_days else 0.0 for st in s.stages])
        cust_var = np.array([st.wait_days.var if st.wait_days else 0.0 for st in s.stages])
        self.work_mean, self.work_m2, self.cust_mean, self.cust_var = work_mean, work_m2, cust_mean, cust_var
        self.arrivals = self.rates.T @ self.mix  # expected leads per day and tier (days, tiers)
        on_hand, capacity, _ = self._capacity(rosters)  # per roster, team and day
        slow = np.where(capacity > 0, on_hand / np.maximum(capacity, 1e-12), 1.0)  # work takes this much longer
        n_rosters = len(rosters)
        flow, wait, wait_var, busy = self._solve(on_hand, capacity, slow)
        self._own = (flow, wait, busy) if n_rosters == 1 else None  # every replication's, when all share a roster
        # Per stage, tier and day of arrival: probability of having reached each point before the horizon
        # and before day 0, with the wait and work of the day the leads of that day reach the stage -- per
        # roster, then the mixture over rosters (what a replication with a roster drawn at random does on average).
        self.reached, self.started, self.worked, self.ended = [], [], [], []
        self.before_year = []  # per stage: P(reached), P(started), P(worked), P(ended) before day 0
        self.busy_per_start, self.work_per_worked, self.censored, self.busy_per_early = [], [], [], []
        left = (g - np.arange(g, dtype=float))[None, :, None]  # days left from the start of each arrival day
        to_year = left - h  # days from the start of each arrival day to day 0 (negative: the year's days)
        days = np.arange(g)[None, :, None]
        roster = np.arange(n_rosters)[:, None, None]
        d_mean = np.full((n_rosters, g, n_tiers), 0.5)
        d_var = np.full_like(d_mean, 1 / 12)
        for k in range(n_stages):
            at = np.clip(days + np.round(d_mean - 0.5).astype(np.int64), 0, g - 1)  # day of reaching stage k
            team = self.team_of[k][None, None, :]
            sl = slow[roster, team, at]
            before = _Gamma(d_mean, d_var)  # time to reach stage k
            work = _Gamma(work_mean[k] * sl, (work_m2[k] - work_mean[k] ** 2) * sl * sl)
            lane = self.lane_of[k][None, None, :]
            w, w_var = wait[roster, lane, at], wait_var[roster, lane, at]
            points, by_day_0 = [], []
            for m, v in ((0, 0), (w, w_var), (work.mean, work.var), (cust_mean[k], cust_var[k])):
                if len(points) == 2:
                    x = np.maximum(left - d_mean, 0.0)  # time left when work starts (on average)
                d_mean, d_var = d_mean + m, d_var + v
                points.append(_Gamma(d_mean, d_var).cdf(left))
                by_day_0.append(_Gamma(d_mean, d_var).cdf(to_year))
            if k == 0:
                points[0] = np.ones_like(points[0])  # every lead arrives within the horizon
                by_day_0[0] = np.broadcast_to(to_year > 0, by_day_0[0].shape).astype(float)  # warm-up leads: before 0
            # What is done of the work started before the horizon, and the work of the leads that finish it.
            done, finished = work.partial_mean(x), work.cdf(x)
            busy_per_start = np.where(x > 0, done + x * (1 - finished), 0.0)
            self.busy_per_start.append(busy_per_start.mean(axis=0))
            # Work in the year of the leads that reached the stage before day 0: all of it for those starting in the
            # year, what is left for those in work at day 0 (a length-biased residual, E[T^2] / 2 E[T]).
            started_in_year = np.maximum(np.minimum(by_day_0[0], points[1]) - by_day_0[1], 0.0)
            residual = (work.var + work.mean**2) / (2 * work.mean)
            in_work = np.maximum(by_day_0[1] - by_day_0[2], 0.0)
            reached_early = by_day_0[0].mean(axis=0)
            work_in_year = (started_in_year * busy_per_start + in_work * residual).mean(axis=0)
            self.busy_per_early.append(
                np.where(reached_early > 0, work_in_year / np.maximum(reached_early, 1e-300), 0.0)
            )
            per_worked = np.where(finished > 0, done / np.maximum(finished, 1e-300), work.mean)
            self.work_per_worked.append(_mixed(per_worked, points[2]))
            # Days in stage of the leads that end it before the horizon: fewer than the stage's mean time.
            ended = points[3]
            in_stage = _Gamma(*_moments(d_mean - before.mean, d_var - before.var, ended))
            censored = _censored_mean(_Gamma(*_moments(before.mean, before.var, ended)), in_stage, left[0])
            self.censored.append(censored - in_stage.mean)
            for store, p in zip((self.reached, self.started, self.worked, self.ended), points):
                store.append(p.mean(axis=0))
            self.before_year.append(tuple(p.mean(axis=0) for p in by_day_0))
        # The cycle from arrival to the end of the last stage: the rosters' times, weighted by the share won.
        cycle = _Gamma(*_moments(d_mean, d_var, ended))
        # mean days from arrival to a win (the cycle is counted from the start of the arrival day: minus U)
        left, to_year = left[0], to_year[0]
        in_year = cycle.cdf(left) - cycle.cdf(to_year)
        self.win_days = (cycle.partial_mean(left) - cycle.partial_mean(to_year)) / np.maximum(in_year, 1e-300) - 0.5
        # Payment: for a win on each day of the year (at a time spread evenly over the day: the collection delay
        # runs from the win's time, not the start of its day), the share paid in each calendar month (last column:
        # not within the horizon). P(U + C < x) is the integral of C's distribution function from x - 1 to x.
        self.months, month_of = months_of_horizon(s.start_date, h)
        n_months = len(self.months)
        lags = np.arange(g + 1.0)
        if s.collection_days is None:
            before = np.clip(lags, 0.0, 1.0)
        else:
            delay = _Gamma(s.collection_days.mean, s.collection_days.var)
            area = lags * delay.cdf(lags) - delay.partial_mean(lags)
            before = area - np.r_[0.0, area[:-1]]
        lag_pmf = np.clip(np.diff(before), 0.0, None)  # rounding in the integral's differences: no negative share
        pay_day = np.zeros((h, n_months + 1))
        for d in range(h):
            np.add.at(pay_day[d], month_of[d:], lag_pmf[: h - d])
        pay_day[:, :n_months] *= 1 - s.bad_debt
        pay_day[:, n_months] = np.clip(1 - pay_day[:, :n_months].sum(axis=1), 0, 1)
        # Expected wins per arrival day and tier: they weigh a month's days of winning (on short horizons the
        # wins crowd towards its end, where less time is left to be paid).
        won_per_day = self.arrivals.copy()
        for k in range(n_stages):
            won_per_day *= self.conv[k] * np.where(
                self.reached[k] > 0, self.ended[k] / np.maximum(self.reached[k], 1e-300), 0.0
            )
        # Won deals' day of winning, per arrival day: the share of the year's wins falling in each calendar month,
        # and (``won_before``) the warm-up's wins by day; per tier, the share of a month's wins paid in each month.
        self.won_month = np.zeros((n_tiers, g, n_months))
        self.paid = np.zeros((n_tiers, n_months, n_months + 1))
        won_before = np.zeros((n_tiers, g, warm))
        month_first = np.r_[0, np.flatnonzero(np.diff(month_of)) + 1]
        evenly = np.add.reduceat(pay_day, month_first, axis=0) / np.diff(np.r_[month_first, h])[:, None]
        for i in range(n_tiers):
            cdf = gammainc(cycle.shape[:, i, None], lags[None, :] / cycle.scale[:, i, None])  # (arrival day, lag)
            pmf = np.diff(cdf, axis=1)
            by_day = np.zeros((g, g))  # arrival day x winning day
            for d in range(g):
                by_day[d, d:] = pmf[d, : g - d]
            year, early = by_day[:, warm:], by_day[:, :warm]
            wins = (won_per_day[:, i] / np.maximum(by_day.sum(axis=1), 1e-300)) @ year  # expected wins per day
            year = year / np.maximum(year.sum(axis=1, keepdims=True), 1e-300)
            won_before[i] = early / np.maximum(early.sum(axis=1, keepdims=True), 1e-300)
            self.won_month[i] = np.add.reduceat(year, month_first, axis=1)
            weighted = np.add.reduceat(wins[:, None] * pay_day, month_first, axis=0)
            total = weighted.sum(axis=1, keepdims=True)
            paid = np.where(total > 0, weighted / np.maximum(total, 1e-300), evenly)  # no wins expected: any
            self.paid[i] = np.clip(paid, 0, 1) / np.maximum(paid.sum(axis=1, keepdims=True), 1.0)  # rounding
        # Deals won in the warm-up, per arrival day: the share paid in each month of the year (last: not in it).
        paid_before = np.zeros((warm, n_months + 1))
        for d in range(warm):  # won on day d - warm: paid on day j of the year after a lag of warm - d + j
            paid_before[d, :n_months] = np.bincount(month_of, lag_pmf[warm - d : warm - d + h], minlength=n_months)
        paid_before[:, :n_months] *= 1 - s.bad_debt
        paid_before[:, n_months] = np.clip(1 - paid_before[:, :n_months].sum(axis=1), 0, 1)
        self.paid_before = won_before @ paid_before  # (tiers, arrival days, months paid + never)

    def _capacity(self, rosters: list[list[Roster]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per replication, team and day of the grid: reps on hand and seasoned rep-days; per replication and team:
        rep-days within the year."""
        h, warm = self.horizon, self.warmup
        on_hand = np.zeros((len(rosters), len(rosters[0]), self.grid))
        capacity = np.zeros_like(on_hand)
        for r, team_rosters in enumerate(rosters):
            for t, roster in enumerate(team_rosters):
                on_grid = Roster(
                    roster.start + warm,
                    roster.end + warm,
                    roster.seasoned,
                    roster.ramp_days,
                    roster.initial_productivity,
                )  # day -warm at 0
                on_hand[r, t], capacity[r, t] = on_grid.daily(self.grid)
        rep_days = np.array([[ro.available_days(h) for ro in team_rosters] for team_rosters in rosters])
        return on_hand, capacity, rep_days

    def teams(self, rosters: list[list[Roster]]) -> tuple[np.ndarray, ...]:
        """For given rosters, per replication: leads reaching each stage per day and tier, mean wait per lane and
        day, and slowness (1 / productivity) per team and day; per replication and team: rep-days on hand within
        the horizon, and rep-days busy in the fluid model. Each replication's flows follow its own staff (a
        vacancy upstream sends a burst of leads on when it is filled)."""
        on_hand, capacity, rep_days = self._capacity(rosters)
        slow = np.where(capacity > 0, on_hand / np.maximum(capacity, 1e-12), 1.0)
        if self._own is not None and len(rosters) == 1 and rosters[0] is self.rosters:
            flow, wait, busy = self._own
        else:
            flow, wait, _, busy = self._solve(on_hand, capacity, slow)
        return flow, wait, slow, rep_days, busy

    def _solve(self, on_hand: np.ndarray, capacity: np.ndarray, slow: np.ndarray) -> tuple[np.ndarray, ...]:
        """Flows and waits of each roster, solved together by fixed-point rounds: per roster, leads reaching each
        stage per day and tier; mean wait and its variance per lane and day; rep-days busy per team."""
        h, n_stages, n_tiers = self.grid, len(self.conv), self.conv.shape[1]
        n = len(capacity)
        wait = np.zeros((n, self.lane_first[-1], h))
        wait_var = np.zeros_like(wait)
        lags = np.arange(h + 1) - 0.5  # a lead starting work mid-day d leaves on day d + j if 0.5 + T falls in [j, j+1)
        for _ in range(_ROUNDS):
            # The leads reaching stage k on a day start work after that day's wait (those still waiting at the
            # horizon never go on), leave after the work and the customer's time (a gamma kernel), and the
            # converted reach stage k + 1 on the day they leave.
            flow = np.zeros((n, n_stages, h, n_tiers))
            flow[:, 0] = self.arrivals
            for k in range(n_stages - 1):
                for i in range(n_tiers):
                    t, lane = self.team_of[k, i], self.lane_of[k, i]
                    reaching = flow[:, k, :, i]
                    starts = _shift(reaching, wait[:, lane])
                    weight = reaching / np.maximum(reaching.sum(axis=1, keepdims=True), 1e-12)
                    sl = (slow[:, t] * weight).sum(axis=1, keepdims=True)
                    spread = _Gamma(
                        self.work_mean[k] * sl + self.cust_mean[k],
                        (self.work_m2[k] - self.work_mean[k] ** 2) * sl * sl
                        + self.cust_var[k]
                        + (wait_var[:, lane] * weight).sum(axis=1, keepdims=True),
                    )
                    kernel = np.diff(spread.cdf(lags), axis=1)
                    leaving = fftconvolve(starts, kernel, axes=1)[:, :h]
                    flow[:, k + 1, :, i] = np.maximum(leaving, 0.0) * self.conv[k, i]
            wait, wait_var, busy = self._waits(flow, self.work_mean, self.work_m2, on_hand, capacity)
        return flow, wait, wait_var, busy

    def _waits(self, flow, work_mean, work_m2, on_hand, capacity) -> np.ndarray:
        """Mean wait for a rep per replication, lane and day of arrival, and its variance (exponential while the
        team keeps up, nearly fixed once it falls behind). ``flow``: leads reaching each stage per day and tier,
        one set per replication or one for all.

        A lane's wait is the team's (:func:`sim.queueing.time_varying_queue`) scaled as by Cobham's formula for
        non-preemptive priority: ``(1 - u) / ((1 - u s_(l-1)) (1 - u s_l))``, with ``u`` the team's utilisation
        and ``s_l`` the share of its work in lanes ``0..l``; the factors average to one over the work."""
        n_reps, n_teams, h = capacity.shape
        wait = np.zeros((n_reps, self.lane_first[-1], h))
        var = np.zeros_like(wait)
        busy = np.zeros((n_reps, n_teams))
        for t in range(n_teams):
            mine = self.team_of == t  # (stages, tiers)
            rate = np.einsum("rkdi,ki->rd", flow, mine)
            if not rate.any():
                continue
            work = np.einsum("rkdi,ki,k->rd", flow, mine, work_mean)  # seasoned rep-days of work arriving per day
            m1 = work / np.maximum(rate, 1e-12)
            m2 = np.einsum("rkdi,ki,k->rd", flow, mine, work_m2) / np.maximum(rate, 1e-12)
            scv = np.where(m1 > 0, m2 / np.maximum(m1, 1e-12) ** 2 - 1, 0.0)
            servers = np.round(on_hand[:, t])
            cap = capacity[:, t]
            work_eff = m1 * np.where(cap > 0, on_hand[:, t] / np.maximum(cap, 1e-12), 1.0)  # at this productivity
            ahead, used, waiting = time_varying_queue(rate, work_eff, scv, servers)
            # Very variable work takes longer to build up its stationary queue than the fluid model says: from
            # empty, a team that keeps up holds no more work than a reflected Brownian motion without drift,
            # sqrt(2 rate E[S^2] t / pi) (heavy traffic); this bounds the leads ahead until the team falls behind.
            driftless = np.sqrt(2 * rate * m2 * (np.arange(h) + 0.5) / np.pi) / np.maximum(m1, 1e-12)
            load = rate * work_eff / np.maximum(servers, 1e-12)  # work offered over the reps' time: above 1, a backlog
            keeping_up = np.maximum.accumulate(load, axis=1) < 1
            ahead = np.where(keeping_up, np.minimum(ahead, driftless), ahead)
            year = slice(self.warmup, None)
            behind = np.where(servers > 0, used, 0.0)[:, year].max(axis=1) >= _BEHIND  # only a team that falls behind
            busy[:, t] = (used * on_hand[:, t])[:, year].sum(axis=1) * behind
            # A lead arriving mid-day waits until the capacity from then on has done the work of the leads ahead
            # of it (days without reps count in full).
            done = np.cumsum(cap, axis=1)
            before = done - cap
            need = before + 0.5 * cap + _work_of_last(ahead, rate, work) + np.where(servers > 0, 0.0, 1e-9)
            arrive = np.arange(h) + 0.5
            # The wait's variance: while the team keeps up, no wait with probability 1 - P(wait), else an exponential
            # time (variance w^2 (2 / P(wait) - 1)); once it falls behind, nearly fixed.
            spread = (2 / np.maximum(waiting, 1e-3) - 1) * (1 - 0.99 * np.clip((used - 0.9) / (_BEHIND - 0.9), 0, 1))
            team_wait = np.zeros((n_reps, h))
            for r in range(n_reps):
                # The day whose capacity reaches the lead (past the horizon: at the last day's capacity).
                k = np.minimum(np.searchsorted(done[r], need[r], side="left"), h - 1)
                part = (need[r] - before[r, k]) / np.maximum(cap[r, k], 1e-12)  # days into that day
                team_wait[r] = np.where(cap[r, k] > 0, np.clip(k + part - arrive, 0.0, _NEVER * h), _NEVER * h)
            # Priority reorders the queue, not the days without reps: no lane is served before reps come.
            staffed = np.where(cap > 0, np.arange(h), h)
            first_rep = np.minimum.accumulate(staffed[:, ::-1], axis=1)[:, ::-1]  # the next day with reps
            no_reps = np.minimum(np.where(first_rep < h, np.maximum(first_rep - arrive, 0.0), _NEVER * h), team_wait)
            queueing = team_wait - no_reps
            above = np.zeros_like(used)  # u s_(l-1)
            for level in range(self.levels[t]):
                share = np.einsum("rkdi,ki,k->rd", flow, mine & (self.level_of <= level), work_mean)
                fraction = np.where(work > 0, share / np.maximum(work, 1e-300), 1.0)
                upto = used * fraction
                factor = np.where(
                    fraction < 1,
                    (1 - used) / np.maximum((1 - above) * (1 - upto), 1e-12),
                    1 / np.maximum(1 - above, 1e-12),
                )  # the last lane: 1 / (1 - u s_(l-1))
                lane = self.lane_first[t] + level
                wait[:, lane] = np.minimum(no_reps + queueing * factor, _NEVER * h)
                var[:, lane] = wait[:, lane] ** 2 * spread
                above = upto
        return wait, var, busy


def _shift(leads: np.ndarray, wait: np.ndarray) -> np.ndarray:
    """Leads arriving mid-day on each day (per roster and day), moved to the day their wait ends (split
    between two days in proportion); those whose wait outlasts the horizon are dropped."""
    n, h = leads.shape
    at = np.arange(h) + np.minimum(wait, 2.0 * h)  # in days from mid-day 0
    first = np.floor(at).astype(np.int64)
    late = at - first
    out = np.zeros(n * h + 1)  # the last cell collects what falls past the horizon
    rows = np.arange(n)[:, None] * h
    for day, share in ((first, 1 - late), (first + 1, late)):
        index = np.where(day < h, rows + day, n * h)
        out += np.bincount(index.ravel(), (leads * share).ravel(), minlength=n * h + 1)
    return out[:-1].reshape(n, h)


def _work_of_last(leads: np.ndarray, rate: np.ndarray, work_rate: np.ndarray) -> np.ndarray:
    """Per replication and day, the work (seasoned rep-days) of the last ``leads`` leads to arrive before a lead
    arriving mid-day: first come, first served, the leads ahead of it are the latest arrivals, whose work is that
    of the days they came (a backlog built while one stage's leads poured in is worked at their own work, not
    today's mix). ``rate`` and ``work_rate``: leads and work arriving per day, one row per replication or one
    for all; leads beyond those arrived count at the day's mean work."""
    n, h = leads.shape
    out = np.empty((n, h))
    for r in range(n):
        f = r if len(rate) > 1 else 0
        arrived = np.r_[0.0, np.cumsum(rate[f])]
        worked = np.r_[0.0, np.cumsum(work_rate[f])]
        now = arrived[:-1] + 0.5 * rate[f]
        mean_work = np.where(rate[f] > 0, work_rate[f] / np.maximum(rate[f], 1e-300), 0.0)
        since = now - leads[r]
        out[r] = (
            worked[:-1]
            + 0.5 * work_rate[f]
            - np.interp(np.maximum(since, 0.0), arrived, worked)
            + np.maximum(-since, 0.0) * mean_work
        )
    return out


def _mixed(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The mean over rosters (axis 0) of ``values`` weighted by ``weights`` (plain where all weights are 0)."""
    total = weights.sum(axis=0)
    return np.where(total > 0, (values * weights).sum(axis=0) / np.maximum(total, 1e-300), values.mean(axis=0))


def _moments(mean: np.ndarray, var: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance of the mixture over rosters (axis 0) of times with these means and variances."""
    mixed_mean = _mixed(mean, weights)
    return mixed_mean, np.maximum(_mixed(var + mean**2, weights) - mixed_mean**2, 0.0)


_NODES = ndtri((np.arange(8) + 0.5) / 8)  # standard normal quantiles: a grid over the time to reach a stage


def _censored_mean(before: _Gamma, time: _Gamma, left: np.ndarray) -> np.ndarray:
    """``E[T | B + T < left]`` for independent times ``B`` (to reach a stage) and ``T`` (in it), averaging over
    ``B`` on a grid of its quantiles (normal approximation); ``E[T]`` where no lead gets that far."""
    b = np.maximum(before.mean[..., None] + np.sqrt(before.var)[..., None] * _NODES, 0.0)
    rest = left[..., None] - b
    mean, var = time.mean[..., None], time.var[..., None]
    part = _Gamma(mean, var)
    done, share = part.partial_mean(rest).mean(axis=-1), part.cdf(rest).mean(axis=-1)
    return np.where(share > 1e-12, done / np.maximum(share, 1e-300), time.mean)


_PLANS: dict[tuple[str, int | None], _Plan] = {}  # the last few plans, so the blocks of a run share one


def _plan(scenario: Scenario, seed: int | None) -> _Plan:
    """The shared plan of a scenario; with attrition (``seed`` given) its timing is the mixture over the rosters
    of the run's first replications (a fixed set, so no replication's numbers depend on which others share its
    block)."""
    key = (scenario.model_dump_json(), seed)
    if key not in _PLANS:
        rosters = [draw_rosters(scenario, seed or 0, r) for r in range(1 if seed is None else _REFERENCE_ROSTERS)]
        if len(_PLANS) >= 8:
            _PLANS.pop(next(iter(_PLANS)))
        _PLANS[key] = _Plan(scenario, rosters)
    return _PLANS[key]


def unsupported(scenario: Scenario) -> list[str]:
    """The fields of ``scenario`` this engine does not model, each with the reason (empty: it runs)."""
    problems = []
    for i, stage in enumerate(scenario.stages):
        if stage.patience_days is not None:
            problems.append(f"stages[{i}].patience_days: leads going cold are modelled by the exact engines only")
        if stage.decay_half_life_days is not None:
            problems.append(
                f"stages[{i}].decay_half_life_days: conversion decaying with the wait is modelled by the "
                "exact engines only"
            )
    if scenario.calendar is not None or any(t.calendar for t in scenario.teams):
        problems.append("calendar: working calendars are modelled by the exact engines only")
    if scenario.opening is not None and scenario.opening.pipeline:
        problems.append(
            "opening.pipeline: an explicit opening pipeline is modelled by the exact engines only "
            "(without it, flow opens the year with its warm-up's steady state)"
        )
    return problems


def simplified(scenario: Scenario) -> Scenario:
    """``scenario`` as this engine can run it: every day a working day (leads of working days only arrive
    every day at the same rate), leads that never go cold and whose conversion does not decay, the
    year opening with the warm-up's pipeline instead of a listed one. Its answers then leave out what
    those fields model (queues grow over weekends, leads lost to waiting).

    >>> from sim.scenario import load
    >>> unsupported(simplified(load("playbooks/b2b_saas.yaml")))
    []
    """
    changes: dict[str, Any] = {"calendar": None}
    if scenario.opening is not None and scenario.opening.pipeline:
        changes["opening.pipeline"] = []
    for i in range(len(scenario.teams)):
        changes[f"teams.{i}.calendar"] = None
    for i in range(len(scenario.stages)):
        changes.update({f"stages.{i}.patience_days": None, f"stages.{i}.decay_half_life_days": None})
    for i in range(len(scenario.channels)):
        changes[f"channels.{i}.working_days_only"] = False
    return scenario.replace(changes)


def run_block(scenario: Scenario, seed: int, first: int, stop: int) -> Results:
    """Replications ``first`` to ``stop - 1`` of a run seeded ``seed``, as summary-only results."""
    problems = unsupported(scenario)
    if problems:
        raise ValueError(
            "the flow engine cannot run this scenario (use engine 'fast', or drop these fields with "
            "sim.engine.flow.simplified): " + "; ".join(problems)
        )
    rngs = [generator(seed, r, FLOW) for r in range(first, stop)]
    random_rosters = any(t.attrition and t.attrition.annual_rate > 0 for t in scenario.teams)
    plan = _plan(scenario, seed if random_rosters else None)
    rosters = [draw_rosters(scenario, seed, r) for r in range(first, stop)] if random_rosters else [plan.rosters]
    s = scenario
    n, n_stages, n_tiers = stop - first, len(s.stages), len(s.tiers)
    n_months = len(plan.months)
    counts = np.zeros((n, 5, n_stages, n_tiers), dtype=np.int64)  # entered, started, worked, ended, converted
    # rep-days of work finished and of work done before the horizon; days in stage that the horizon cuts off
    work = np.zeros((n, 3, n_stages, n_tiers))
    leads = np.zeros((n, len(s.channels)), dtype=np.int64)
    money = np.zeros((n, 4))  # revenue, collected, win days, won
    monthly = np.zeros((n, 3, n_months))  # won, revenue, collected
    pipeline = np.zeros((n, 2), dtype=np.int64)  # the warm-up's leads open at day 0, and lost in the year
    cond, cond_before = [], []
    for k in range(n_stages):  # conditional probabilities of the nested draws
        f, st, wk, en = plan.reached[k], plan.started[k], plan.worked[k], plan.ended[k]
        f0, _, _, e0 = plan.before_year[k]
        # Of the leads that reached the stage before day 0: those that left it before day 0, and of the rest those
        # that leave it in the year. A lead both in the stage at day 0 and still in it at the horizon is neglected
        # (the stage's times taken as comonotone), so P(A < 0, E < h) = min(P(A < 0), P(E < h)).
        cond_before.append(
            (
                np.where(f0 > 0, e0 / np.maximum(f0, 1e-300), 0.0),
                np.where(f0 > e0, (np.minimum(f0, en) - e0) / np.maximum(f0 - e0, 1e-300), 0.0),
            )
        )
        # Those that reach it in the year: P(0 <= A < h, X < h) = P(X < h) - P(A < 0, X < h), alike.
        f, st, wk, en = f - f0, *(np.maximum(x - f0, 0.0) for x in (st, wk, en))
        cond.append(
            (
                np.where(f > 0, en / np.maximum(f, 1e-300), 0.0),
                np.where(f > en, (st - en) / np.maximum(f - en, 1e-300), 0.0),
                np.where(st > en, (wk - en) / np.maximum(st - en, 1e-300), 0.0),
            )
        )
    value_dists = [s.deal_value_for(t) for t in s.tiers]
    in_year = (np.arange(plan.grid) >= plan.warmup)[:, None]
    for j, rng in enumerate(rngs):
        per_channel = rng.poisson(plan.rates)  # (channels, grid days)
        leads[j] = per_channel[:, plan.warmup :].sum(axis=1)
        arrived = sum(rng.multinomial(per_channel[c], plan.mix[c]) for c in range(len(s.channels)))  # (days, tiers)
        entered = arrived * in_year  # leads reaching the stage in the year
        before = arrived - entered  # leads reaching the stage before day 0
        decided_before = 0
        for k in range(n_stages):
            p_end, p_start, p_work = cond[k]
            ended = rng.binomial(entered, np.clip(p_end, 0, 1))
            started = ended + rng.binomial(entered - ended, np.clip(p_start, 0, 1))
            worked = ended + rng.binomial(started - ended, np.clip(p_work, 0, 1))
            converted = rng.binomial(ended, plan.conv[k])
            p_early, p_later = cond_before[k]
            early = rng.binomial(before, np.clip(p_early, 0, 1))  # left the stage before day 0
            later = rng.binomial(before - early, np.clip(p_later, 0, 1))  # left it in the year
            early_converted, later_converted = rng.binomial(early, plan.conv[k]), rng.binomial(later, plan.conv[k])
            decided_before += int((early - early_converted).sum())
            pipeline[j, 1] += int((later - later_converted).sum())
            counts[j, :, k] = [x.sum(axis=0) for x in (entered, started, worked, ended, converted)]
            work[j, 0, k] = (worked * plan.work_per_worked[k]).sum(axis=0)
            work[j, 1, k] = (started * plan.busy_per_start[k] + before * plan.busy_per_early[k]).sum(axis=0)
            work[j, 2, k] = (ended * plan.censored[k]).sum(axis=0)
            entered, before = converted + later_converted, early_converted
        pipeline[j, 0] = int(arrived[: plan.warmup].sum()) - decided_before - int(before.sum())
        won = entered  # (days, tiers), won in the year
        money[j, 2] = float((won * plan.win_days).sum())
        money[j, 3] = won.sum()
        for i, dist in enumerate(value_dists):
            n_won = int(won[:, i].sum())
            if n_won == 0:
                continue
            share = won[:, i] @ plan.won_month[i]  # expected wins per month
            by_month = _integers(share, n_won)
            values = dist.sample(rng, n_won)
            month_of_deal = np.repeat(np.arange(n_months), by_month)
            monthly[j, 0] += by_month
            monthly[j, 1] += np.bincount(month_of_deal, weights=values, minlength=n_months)
            paid = rng.multinomial(by_month, plan.paid[i])  # (months won, months paid + never)
            paid_month = np.concatenate([np.repeat(np.arange(n_months + 1), row) for row in paid])
            in_horizon = paid_month < n_months  # deals are exchangeable: values are independent of timing
            monthly[j, 2] += np.bincount(paid_month[in_horizon], weights=values[in_horizon], minlength=n_months)
        for i, dist in enumerate(value_dists):  # deals won in the warm-up, paid in the year
            n_won = int(before[:, i].sum())
            share = before[:, i] @ plan.paid_before[i] if n_won else np.zeros(1)
            if share.sum() <= 0:
                continue
            paid = rng.multinomial(n_won, share / share.sum())  # (months paid + never)
            values = dist.sample(rng, n_won)
            paid_month = np.repeat(np.arange(n_months + 1), paid)
            in_horizon = paid_month < n_months
            monthly[j, 2] += np.bincount(paid_month[in_horizon], weights=values[in_horizon], minlength=n_months)
        money[j, 0], money[j, 1] = monthly[j, 1].sum(), monthly[j, 2].sum()
    return _results(scenario, seed, first, plan, rosters, counts, work, leads, money, monthly, pipeline)


def _integers(share: np.ndarray, total: int) -> np.ndarray:
    """Whole numbers summing to ``total`` in proportion to ``share`` (largest remainders)."""
    if share.sum() <= 0:
        out = np.zeros(len(share), dtype=np.int64)
        out[-1] = total
        return out
    exact = share * (total / share.sum())
    out = np.floor(exact).astype(np.int64)
    out[np.argsort(out - exact)[: total - out.sum()]] += 1
    return out


def _revenue_by_tier(scenario: Scenario, counts: np.ndarray, revenue: np.ndarray) -> np.ndarray:
    """Each replication's revenue split over tiers as the last stage's conversions times the tier's mean deal
    value (the flow model draws won deals' values together)."""
    weight = counts[:, 4, -1, :] * np.array([scenario.deal_value_for(tier).mean for tier in scenario.tiers])
    return revenue[:, None] * weight / np.maximum(weight.sum(axis=1, keepdims=True), 1e-12)


def _results(scenario, seed, first, plan, rosters, counts, work, leads, money, monthly, pipeline) -> Results:
    s, h = scenario, scenario.horizon_days
    n = len(counts)
    reps_index = np.arange(first, first + n)
    won = money[:, 3].astype(np.int64)
    lost = (counts[:, 3] - counts[:, 4]).sum(axis=(1, 2)) + pipeline[:, 1]
    opening = pipeline[:, 0]
    costs = np.array(
        [
            replication_costs(s, rosters[j] if len(rosters) == n else rosters[0], by_tier)
            for j, by_tier in enumerate(_revenue_by_tier(s, counts, money[:, 0]))
        ]
    ).reshape(n, 3)
    replications = pd.DataFrame(
        {
            "replication": reps_index,
            "leads": leads.sum(axis=1),
            "opening": opening,
            "won": won,
            "lost": lost,
            "open": leads.sum(axis=1) + opening - won - lost,
            "revenue": money[:, 0],
            "collected": money[:, 1],
            "marketing_cost": leads @ np.array([c.cost_per_lead for c in s.channels], dtype=float),
            "staff_cost": costs[:, 0],
            "hiring_cost": costs[:, 1],
            "commission_cost": costs[:, 2],
            "win_days_total": money[:, 2],
        }
    )
    # Per stage, tier and replication: mean wait and work in this replication's capacity.
    pick = (lambda a: a) if len(rosters) == n else (lambda a: np.broadcast_to(a, (n,) + a.shape[1:]))
    flows, wait, slow, rep_days, busy_fluid = (pick(a) for a in plan.teams(rosters))
    year = slice(plan.warmup, None)  # the grid's days of the year: stage figures count leads reaching it then
    flows, wait, slow = flows[..., year, :], wait[..., year], slow[..., year]
    n_teams = len(s.teams)
    busy = np.zeros((n, n_teams))
    slots = stage_slots(s)
    rows = {name: [] for name in STAGE_SUMS}
    per_slot = {slot: np.zeros((n, len(rows))) for slot in slots}
    work_mean, cust_mean = plan.work_mean, plan.cust_mean
    for k in range(len(s.stages)):
        for i in range(len(s.tiers)):
            t, lane = plan.team_of[k, i], plan.lane_of[k, i]
            flow = flows[:, k, :, i]
            weight = flow / np.maximum(flow.sum(axis=1, keepdims=True), 1e-12)
            # The mean wait of the leads that start: those whose wait ends before the horizon.
            starts = (wait[:, lane] < h - np.arange(h) - 0.5) * weight
            w = (wait[:, lane] * starts).sum(axis=1) / np.maximum(starts.sum(axis=1), 1e-12)
            sl = work_mean[k] * (slow[:, t] * weight).sum(axis=1)
            entered, started, worked, ended, converted = counts[:, :, k, i].T
            acc = per_slot[(k, t)]
            acc += np.column_stack(
                [
                    entered,
                    started,
                    converted,
                    ended - converted,
                    np.zeros(n),
                    started * w,
                    work[:, 0, k, i],
                    worked,
                    ended * (w + sl + cust_mean[k]) + work[:, 2, k, i],
                ]
            )
            busy[:, t] += work[:, 1, k, i]
    # Reps are busy with the work counted here, or all the time while a backlog lasts (the fluid model).
    busy = np.minimum(np.maximum(busy, busy_fluid), rep_days)
    names = [t.name for t in s.teams]
    frames = []
    for (k, t), acc in per_slot.items():
        frames.append(
            pd.DataFrame(
                {
                    "replication": reps_index,
                    "stage": s.stages[k].name,
                    "team": names[t],
                    **{
                        name: (
                            acc[:, c].astype(np.int64)
                            if name in ("entered", "started", "converted", "lost", "abandoned", "worked")
                            else acc[:, c]
                        )
                        for c, name in enumerate(rows)
                    },
                    "team_busy_days": busy[:, t],
                    "team_rep_days": rep_days[:, t],
                }
            )
        )
    order = {slot: i for i, slot in enumerate(slots)}
    stage_stats = pd.concat([frames[i] for i in np.argsort([order[x] for x in per_slot])], ignore_index=True)
    stage_stats = stage_stats.sort_values(["replication"], kind="stable", ignore_index=True)
    n_months = len(plan.months)
    month_table = pd.DataFrame(
        {
            "replication": np.repeat(reps_index, n_months).astype(np.int32),
            "month": np.tile(plan.months, n),
            "won": monthly[:, 0].ravel().astype(np.int64),
            "revenue": monthly[:, 1].ravel(),
            "collected": monthly[:, 2].ravel(),
        }
    )
    return Results(
        scenario, "flow", seed, replications, stage_stats, month_table, None, {"approximation": APPROXIMATION}
    )
