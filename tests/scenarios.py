"""Small scenarios built in code for tests: M/M/c queues and hypothesis-generated funnels."""

from __future__ import annotations

from hypothesis import strategies as st

import sim


def mmc(arrivals_per_day: float, reps: int, mean_work_days: float = 1.0, horizon_days: int = 2000) -> sim.Scenario:
    """One channel, one stage with conversion 1 and exponential work: an M/M/c queue."""
    return sim.Scenario.model_validate(
        {
            "name": f"M/M/{reps}",
            "horizon_days": horizon_days,
            "channels": [{"name": "all", "leads_per_day": arrivals_per_day}],
            "stages": [
                {
                    "name": "serve",
                    "team": "reps",
                    "conversion": 1.0,
                    "work_days": {"dist": "exponential", "mean": mean_work_days},
                }
            ],
            "teams": [{"name": "reps", "headcount": reps}],
            "deal_value": {"dist": "fixed", "value": 1.0},
        }
    )


_exponential = st.builds(lambda m: {"dist": "exponential", "mean": m}, st.floats(0.01, 2.0))
_uniform = st.builds(lambda a, w: {"dist": "uniform", "low": a, "high": a + w}, st.floats(0, 1), st.floats(0.01, 1))
_continuous = st.one_of(
    _exponential,
    st.builds(lambda m, s: {"dist": "gamma", "mean": m, "sd": s}, st.floats(0.05, 2.0), st.floats(0.05, 1.0)),
    _uniform,
)
# A gamma time whose sd is many times its mean puts much of its mass below a day's float resolution
# (mean 0.25, sd 1: 9% under 1e-16 days), so a job ends at the instant it starts: a tie. Where no two
# events may share an instant, the sd is at most the mean.
_without_ties = st.one_of(
    _exponential,
    st.builds(lambda m, cv: {"dist": "gamma", "mean": m, "sd": m * cv}, st.floats(0.05, 2.0), st.floats(0.05, 1.0)),
    _uniform,
)
_any = st.one_of(_continuous, st.builds(lambda v: {"dist": "fixed", "value": v}, st.floats(0.0, 2.0)))


@st.composite
def funnels(
    draw, continuous: bool = False, horizon: tuple[int, int] = (5, 40), attrition: float = 5.0, realistic: bool = False
) -> sim.Scenario:
    """Small random funnels: several channels and tiers, teams working several stages, hires, ramp, attrition.

    ``continuous=True`` draws only continuous times that stay clear of float resolution, so no two events
    share an instant; ``horizon`` bounds the days simulated, ``attrition`` the share of reps leaving per year.
    ``realistic=True`` also draws what makes a year as it runs: warm-ups (or none), working calendars for the
    scenario and single teams, leads that go cold (patience) and whose conversion decays with their wait,
    opening pipelines of deals in any stage.
    Without it, funnels start empty, as the flow engine's comparisons need.
    """
    _durations = _without_ties if continuous else _any
    tiers = draw(st.sampled_from([None, ["A", "B"], ["A", "B", "C"]]))
    n_teams = draw(st.integers(1, 3))
    teams = []
    for i in range(n_teams):
        team = {"name": f"team{i}", "headcount": draw(st.integers(0, 4))}
        if draw(st.booleans()):
            team["hires"] = [{"day": draw(st.floats(0, 30)), "count": draw(st.integers(1, 3))}]
        if draw(st.booleans()):
            team["ramp"] = {"days": draw(st.floats(0, 20)), "initial_productivity": draw(st.floats(0.1, 1.0))}
        if draw(st.booleans()):
            team["attrition"] = {
                "annual_rate": draw(st.floats(0, attrition)),
                "replacement_days": draw(st.floats(0, 10)),
            }
        if draw(st.booleans()):
            team["skill"] = draw(st.floats(0.5, 1.5))
        if tiers and draw(st.booleans()):
            team["priority"] = draw(st.permutations(tiers))[: draw(st.integers(1, len(tiers)))]
        if realistic and draw(st.booleans()):
            team["calendar"] = {
                "working_days": sorted(draw(st.sets(st.sampled_from(_WEEKDAYS), min_size=1)), key=_WEEKDAYS.index)
            }
        teams.append(team)

    def mix():
        weights = [draw(st.integers(1, 5)) for _ in tiers]
        return {t: w / sum(weights) for t, w in zip(tiers, weights)}

    def probability():
        if tiers and draw(st.booleans()):
            return {t: draw(st.floats(0, 1)) for t in tiers}
        return draw(st.floats(0, 1))

    channels = [
        {
            "name": f"ch{i}",
            "leads_per_day": draw(st.floats(0, 6)),
            "cost_per_lead": draw(st.floats(0, 50)),
            **({"tiers": mix()} if tiers else {}),
        }
        for i in range(draw(st.integers(1, 2)))
    ]
    stages = []
    for k in range(draw(st.integers(1, 4))):
        stage = {
            "name": f"s{k}",
            "team": f"team{draw(st.integers(0, n_teams - 1))}",
            "work_days": draw(_durations),
            "conversion": probability(),
        }
        if draw(st.booleans()):
            stage["wait_days"] = draw(_durations)
        if tiers and n_teams > 1 and draw(st.booleans()):  # a tier routed to another team (seniors)
            stage["routes"] = {draw(st.sampled_from(tiers)): f"team{draw(st.integers(0, n_teams - 1))}"}
        if realistic and draw(st.booleans()):
            stage["patience_days"] = draw(_durations)
        if realistic and draw(st.booleans()):
            stage["decay_half_life_days"] = draw(st.floats(0.1, 10))
        stages.append(stage)
    data = {
        "name": "generated",
        "horizon_days": draw(st.integers(*horizon)),
        "channels": channels,
        "stages": stages,
        "teams": teams,
        "deal_value": {"dist": "lognormal", "median": 100.0, "sigma": 0.5},
        "bad_debt": draw(st.floats(0, 0.5)),
    }
    if draw(st.booleans()):
        data["collection_days"] = draw(_durations)
    if realistic:
        if draw(st.booleans()):
            data["calendar"] = {"holidays": [f"2025-01-{day:02d}" for day in draw(st.sets(st.integers(1, 31)))]}
            for channel in channels:
                channel["working_days_only"] = draw(st.booleans())
        data["opening"] = draw(st.sampled_from([None, {"warmup_days": 0}, {"warmup_days": 3.5}, "pipeline"]))
        if data["opening"] == "pipeline":  # deals open at day 0 in random stages, of random ages
            data["opening"] = {
                "pipeline": [
                    {
                        "stage": f"s{draw(st.integers(0, len(stages) - 1))}",
                        "count": draw(st.integers(1, 5)),
                        "age_days": draw(st.floats(0, 30)),
                        **({"tier": draw(st.sampled_from(tiers))} if tiers else {}),
                        **({"value": draw(st.floats(0, 1000))} if draw(st.booleans()) else {}),
                    }
                    for _ in range(draw(st.integers(1, 3)))
                ]
            }
    else:
        data["opening"] = {"warmup_days": 0}
    return sim.Scenario.model_validate(data)


_WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
