"""Lead arrivals: a Poisson process per channel whose daily rate follows monthly seasonality.

The rate on day ``d`` is ``leads_per_day * seasonality[month(d)]`` (nought on days off for a channel
that brings leads on working days only). The warm-up before day 0 (:mod:`sim.model.opening`) has
leads of its own, drawn from streams of its own, ahead of the year's. Arrival times come
from a unit-rate Poisson process on the cumulative-intensity scale, mapped back through
the piecewise-linear cumulative intensity: exact for a piecewise-constant rate, sorted by
construction, and linear in the number of leads.

Examples
--------
>>> import numpy as np
>>> times = poisson_arrivals(np.full(10, 3.0), np.random.default_rng(0))
>>> bool(np.all(np.diff(times) >= 0) and 0 <= times.min() and times.max() < 10)
True
"""

from __future__ import annotations

import numba
import numpy as np

from sim.calendar import month_of_day
from sim.draws import exponential
from sim.model.opening import warmup_days
from sim.scenario import Channel, Scenario
from sim.streams import ARRIVALS, TIERS, WARMUP, generator
from sim.worktime import working_days

__all__ = ["daily_rates", "poisson_arrivals", "running_sum", "arrival_order", "Arrivals", "draw_arrivals"]


def daily_rates(channel: Channel, scenario: Scenario, first_day: int = 0) -> np.ndarray:
    """Expected leads of one channel on each day from ``first_day`` (negative: the warm-up, at the rates of
    ``opening.lead_flow`` where the scenario gives them) to the horizon's end."""
    months = month_of_day(scenario.start_date, scenario.horizon_days, first_day)
    rates = np.full(scenario.horizon_days - first_day, channel.leads_per_day)
    if channel.seasonality is not None:
        rates *= np.asarray(channel.seasonality)[months]
    before = scenario.opening.lead_flow.get(channel.name) if scenario.opening is not None else None
    if before is not None and first_day < 0:
        rates[:-first_day] = before.leads_per_day
        if before.seasonality is not None:
            rates[:-first_day] *= np.asarray(before.seasonality)[months[:-first_day]]
    if channel.working_days_only and scenario.calendar is not None:
        rates *= working_days(scenario.calendar, scenario.start_date, first_day, len(rates))
    return rates


def poisson_arrivals(rates: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Sorted arrival times over ``len(rates)`` days of a Poisson process with daily ``rates``."""
    cumulative = np.zeros(len(rates) + 1)
    np.cumsum(rates, out=cumulative[1:])
    total = cumulative[-1]
    if total <= 0:
        return np.empty(0)
    # Unit-rate arrivals on [0, total): the count is Poisson(total), the points uniform order statistics.
    n = rng.poisson(total)
    gaps = exponential(rng, 1.0, np.empty(n + 1))  # the numbers of rng.exponential(1.0, n + 1), compiled
    points = running_sum(gaps)[:-1]
    points *= total / gaps.sum()
    if np.all(rates == rates[0]):  # a constant rate: the cumulative intensity is a straight line
        points /= rates[0]
        return points
    return np.interp(points, cumulative, np.arange(len(rates) + 1.0))


@numba.njit(cache=True)
def running_sum(values: np.ndarray) -> np.ndarray:
    """``np.cumsum(values)`` of floats, to the bit (the same additions in the same order), faster than
    numpy's on the arrival gaps, which the hot path sums once per channel and replication."""
    out = np.empty_like(values)
    total = 0.0
    for i in range(len(values)):
        total += values[i]
        out[i] = total
    return out


def arrival_order(times: np.ndarray) -> np.ndarray:
    """``np.argsort(times, kind="stable")`` of times (``inf`` and negative times allowed), faster.

    The bits of a non-negative float sort like the float, and those of a negative one do once all
    but the sign bit are flipped (as signed integers). Each time's key is those bits with the
    lowest ``b`` replaced by its position (``2**b`` at least the count), so numpy's integer sort
    (vectorised) orders the keys, and the positions fall out of the low bits. Times that agree in
    all but those bits (within about ``2**(b - 52)`` of each other, relatively) then sit side by side
    in order of position, and are put in order of time.

    >>> t = np.array([2.0, 0.5, np.inf, 0.5, -1.0, -3.5, 1.0])
    >>> arrival_order(t).tolist() == np.argsort(t, kind="stable").tolist()
    True
    """
    times = np.ascontiguousarray(times, dtype=np.float64)
    shift = max(1, (len(times) - 1).bit_length())
    keys = _position_keys(times, shift)
    keys.sort()
    return _positions_by_time(keys, times, shift)


@numba.njit(cache=True)
def _position_keys(times, shift):
    """The keys of :func:`arrival_order`: each time's bits with the low ``shift`` holding its position."""
    bits = times.view(np.int64)
    low = (1 << shift) - 1
    keys = np.empty(len(times), dtype=np.int64)
    for i in range(len(times)):
        b = bits[i]
        if b < 0:  # a negative time: flip all but the sign bit, so the integers sort like the times
            b ^= 0x7FFFFFFFFFFFFFFF
        keys[i] = (b & ~low) | i
    return keys


@numba.njit(cache=True)
def _positions_by_time(keys, times, shift):
    """The positions in sorted ``keys``, each run of keys equal but for the position put in order of
    (time, position): by insertion when short (almost always one or two), else by a stable sort."""
    low = (1 << shift) - 1
    n = len(keys)
    order = np.empty(n, dtype=np.int64)
    for i in range(n):
        order[i] = keys[i] & low
    i = 0
    while i < n - 1:
        j = i + 1
        while j < n and keys[j] >> shift == keys[i] >> shift:
            j += 1
        if j - i > 16:
            run = order[i:j].copy()
            order[i:j] = run[np.argsort(times[run], kind="mergesort")]
        else:
            for a in range(i + 1, j):
                x = order[a]
                b = a - 1
                while b >= i and (times[order[b]] > times[x] or (times[order[b]] == times[x] and order[b] > x)):
                    order[b + 1] = order[b]
                    b -= 1
                order[b + 1] = x
        i = j
    return order


class Arrivals:
    """All leads of one replication, in order of arrival: time, channel index and tier index. The first
    ``warmup`` leads arrive in the warm-up, before day 0; the next ``opening`` are the deals of
    ``opening.pipeline``, at day 0, of no channel (-1); ``per_channel`` counts the year's by channel."""

    __slots__ = ("time", "channel", "tier", "per_channel", "warmup", "opening")

    def __init__(
        self,
        time: np.ndarray,
        channel: np.ndarray,
        tier: np.ndarray,
        per_channel: np.ndarray,
        warmup: int = 0,
        opening: int = 0,
    ):
        self.time, self.channel, self.tier, self.per_channel = time, channel, tier, per_channel
        self.warmup, self.opening = warmup, opening

    def __len__(self) -> int:
        return len(self.time)


def draw_arrivals(scenario: Scenario, seed: int, replication: int) -> Arrivals:
    """The warm-up's leads (if any), or the opening pipeline's deals (if any), then the year's: each
    channel from its own stream, merged by time."""
    year = _draw(scenario, seed, replication, 0)
    days = warmup_days(scenario)
    if days > 0:
        before = _draw(scenario, seed, replication, -days)
    elif scenario.opening is not None and scenario.opening.pipeline:
        before = _open_deals(scenario)
    else:
        return year
    return Arrivals(
        *(np.concatenate([getattr(before, name), getattr(year, name)]) for name in ("time", "channel", "tier")),
        year.per_channel,
        len(before) if days > 0 else 0,
        0 if days > 0 else len(before),
    )


def _open_deals(scenario: Scenario) -> Arrivals:
    """The deals of ``opening.pipeline``, one lead each, at day 0, of no channel."""
    deals = scenario.opening.pipeline
    counts = [deal.count for deal in deals]
    tier = np.repeat([scenario.tiers.index(deal.tier or "") for deal in deals], counts).astype(np.int32)
    return Arrivals(
        np.zeros(len(tier)),
        np.full(len(tier), -1, dtype=np.int32),
        tier,
        np.zeros(len(scenario.channels), dtype=np.int64),
    )


def _draw(scenario: Scenario, seed: int, replication: int, first_day: int) -> Arrivals:
    """The leads arriving from day ``first_day`` to the horizon's end (``first_day < 0``: to day 0, the
    warm-up, drawn from the warm-up's streams)."""
    tiers = scenario.tiers
    warm = first_day < 0
    offset = WARMUP if warm else 0
    times, channels, tier_ids = [], [], []
    for c, channel in enumerate(scenario.channels):
        rates = daily_rates(channel, scenario, first_day)
        if warm:
            rates = rates[:-first_day]
        t = poisson_arrivals(rates, generator(seed, replication, offset + ARRIVALS, c))
        if warm:
            t += first_day
        times.append(t)
        channels.append(np.full(len(t), c, dtype=np.int32))
        if channel.tiers:
            bounds = np.cumsum([channel.tiers.get(name, 0.0) for name in tiers])[:-1]
            u = generator(seed, replication, offset + TIERS, c).random(len(t))
            tier = np.zeros(len(t), dtype=np.int32)
            for bound in bounds:  # the tier is the number of the mix's running sums at or below u
                tier += u >= bound
            tier_ids.append(tier)
        else:
            tier_ids.append(np.zeros(len(t), dtype=np.int32))
    per_channel = np.array([len(t) for t in times], dtype=np.int64)
    if len(times) == 1:
        return Arrivals(times[0], channels[0], tier_ids[0], per_channel)
    time = np.concatenate(times)
    order = arrival_order(time)
    return Arrivals(time[order], np.concatenate(channels)[order], np.concatenate(tier_ids)[order], per_channel)
