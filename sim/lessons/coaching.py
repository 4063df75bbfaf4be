"""Lesson 4, coaching by exception: which rep, which deal — and when the data is credible.

A manager who coaches every rep whose win rate looks low spends the week on bad luck. A low
rate is worth acting on when it is *material* (20% or more below the team) and *credible*:
unlikely to be chance given how few deals it rests on, and given how many reps were looked
at. The experiment draws reps' deals (binomial draws from :mod:`sim.streams`) and shows how
often a truly weaker rep, and an average one, would be flagged by the naive rule ("20% below
the team") and by the credible one (:func:`sim.diagnostics.rep_exceptions`' test) as the
number of deals grows.

Examples
--------
>>> curve = credibility_curve(team_rate=0.3, rep_rate=0.15, deal_counts=[10, 50], trials=2000, seed=1)
>>> curve.set_index("deals").round(2)
       naive_weak  naive_average  credible_weak  credible_average
deals
10           0.82           0.37           0.19              0.02
50           0.97           0.21           0.80              0.04
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from scipy import stats

from sim.diagnostics import ALPHA, MATERIALITY, MIN_DEALS, aging_deals, rep_exceptions
from sim.lessons.lesson import Exercise
from sim.plots import style
from sim.streams import CONVERSION, generator
from sim.widgets import show

__all__ = [
    "TEAM_RATE",
    "exercises",
    "credibility_curve",
    "simulated_team",
    "credibility_chart",
    "case_exceptions",
    "case_table",
    "experiment_panel",
]

TEAM_RATE = 0.3  # the lesson's team wins 30% of its decided deals
DEAL_COUNTS = tuple(range(5, 205, 5))


def exercises() -> dict[str, Exercise]:
    """The lesson's exercises; every answer computed, none typed in."""
    team, rep = TEAM_RATE, 0.22
    chance = (1 - team) ** 5
    needed = math.ceil(math.log(ALPHA) / math.log(1 - team))
    reps = 20
    cycles, ages = list(range(10, 101, 10)), [30, 75, 95, 120, 200]
    aged = aging_deals(_deals_for_aging(cycles, ages))
    return {
        "gap": Exercise("gap", {"team": team, "rep": rep, "materiality": MATERIALITY}, 1 - rep / team, tolerance=0.02),
        "chance": Exercise("chance", {"team": team, "deals": 5}, chance, tolerance=0.02),
        "deals_needed": Exercise(
            "deals_needed",
            {"team": team, "alpha": ALPHA, "before": (1 - team) ** (needed - 1), "after": (1 - team) ** needed},
            needed,
            tolerance=0,
        ),
        "many_reps": Exercise("many_reps", {"reps": reps, "alpha": ALPHA}, 1 - (1 - ALPHA) ** reps, tolerance=0.02),
        "aged": Exercise(
            "aged",
            {
                "cycles": ", ".join(map(str, cycles)),
                "ages": ", ".join(map(str, ages)),
                "limit": aged.limit_days.iloc[0],
                "review": ", ".join(map(str, aged.age_days)),
            },
            len(aged),
            tolerance=0,
        ),
    }


def _deals_for_aging(cycles: Sequence[int], ages: Sequence[int]) -> pd.DataFrame:
    """Won deals that took ``cycles`` days and open deals ``ages`` days old, in the canonical table's form."""
    today = pd.Timestamp("2025-06-30")
    won = [
        {"status": "won", "created": today - pd.Timedelta(days=200 + c), "closed": today - pd.Timedelta(days=200)}
        for c in cycles
    ]
    open_ = [{"status": "open", "created": today - pd.Timedelta(days=a), "closed": pd.NaT} for a in ages]
    deals = pd.DataFrame(won + open_ + [{"status": "lost", "created": today, "closed": today}])
    return deals.assign(
        opportunity_id=[f"d{i}" for i in range(len(deals))],
        rep="rep",
        team="team",
        account=None,
        stage="proposal",
        value=np.nan,
    )


def _flags(wins: np.ndarray, deals: int, team_rate: float, materiality: float, alpha: float) -> tuple:
    """Naive flags (observed rate 20% below) and credible ones (also an exact one-sided test at ``alpha``)."""
    naive = wins / deals <= (1 - materiality) * team_rate
    credible = naive & (stats.binom.cdf(wins, deals, team_rate) < alpha)
    return naive, credible


def credibility_curve(
    team_rate: float,
    rep_rate: float,
    deal_counts: Sequence[int] = DEAL_COUNTS,
    trials: int = 2000,
    seed: int = 1,
    materiality: float = MATERIALITY,
    alpha: float = ALPHA,
) -> pd.DataFrame:
    """For each number of decided deals: how often a weaker rep (true rate ``rep_rate``) and an average
    rep (true rate ``team_rate``) are flagged, by the naive rule and by the credible one."""
    rows = []
    for deals in deal_counts:
        rng = generator(seed, replication=0, purpose=CONVERSION, index=int(deals))
        weak = rng.binomial(deals, rep_rate, size=trials)
        average = rng.binomial(deals, team_rate, size=trials)
        naive_weak, credible_weak = _flags(weak, deals, team_rate, materiality, alpha)
        naive_average, credible_average = _flags(average, deals, team_rate, materiality, alpha)
        rows.append(
            {
                "deals": int(deals),
                "naive_weak": naive_weak.mean(),
                "naive_average": naive_average.mean(),
                "credible_weak": credible_weak.mean(),
                "credible_average": credible_average.mean(),
            }
        )
    return pd.DataFrame(rows)


def simulated_team(
    team_rate: float, rep_rate: float, deals: int, reps: int = 12, seed: int = 1, weak_rep: str = "W"
) -> pd.DataFrame:
    """Decided deals of a team: ``reps - 1`` average reps (R1, R2, ...) and one weaker rep, ``deals`` each."""
    rows = []
    for i in range(reps):
        name, rate = (weak_rep, rep_rate) if i == reps - 1 else (f"R{i + 1}", team_rate)
        won = generator(seed, replication=1, purpose=CONVERSION, index=i).random(deals) < rate
        rows.append(
            pd.DataFrame(
                {
                    "opportunity_id": [f"{name}-{k}" for k in range(deals)],
                    "rep": name,
                    "team": "team",
                    "status": np.where(won, "won", "lost"),
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def credibility_chart(curve: pd.DataFrame, deals: int, labels: dict[str, str], title: str) -> Figure:
    """The four flag rates against the number of deals, with the slider's choice marked."""
    style()
    fig = Figure(figsize=(8, 3.6), layout="constrained")
    ax = fig.subplots()
    for column, colour, ls in (
        ("credible_weak", "tab:red", "-"),
        ("naive_weak", "tab:red", ":"),
        ("credible_average", "tab:blue", "-"),
        ("naive_average", "tab:blue", ":"),
    ):
        ax.plot(curve.deals, curve[column], color=colour, ls=ls, label=labels[column])
    ax.axvline(deals, color="k", lw=1)
    ax.axvline(MIN_DEALS, color="0.6", lw=1, ls="--")
    ax.set(title=title, xlabel=labels["deals"], ylim=(-0.02, 1.02))
    ax.yaxis.set_major_formatter("{x:.0%}")
    ax.legend(fontsize="small", loc="center right")
    return fig


def case_exceptions() -> pd.DataFrame:
    """The "what would you do?" case: Li won 2 of 9, Wang 40 of 160, ten colleagues 35 of 100 each."""
    spec = [("Li", 2, 9), ("Wang", 35, 160)] + [(f"R{i}", 35, 100) for i in range(1, 11)]
    deals = pd.DataFrame(
        [{"rep": rep, "team": "East", "status": "won" if k < won else "lost"} for rep, won, n in spec for k in range(n)]
    )
    table = rep_exceptions(deals)
    return table[table.rep.isin(["Li", "Wang"])].set_index("rep")[
        ["deals", "won", "win_rate", "team_rate", "ci_low", "ci_high", "q_value", "flagged"]
    ]


def case_table(lesson):
    """The case's two reps as the diagnostics judge them, with the lesson's column labels (a styled table)."""
    table = case_exceptions()
    table.columns = [lesson.text("labels.is_flagged" if c == "flagged" else f"labels.{c}") for c in table.columns]
    percent = {lesson.text(f"labels.{c}"): "{:.0%}" for c in ("win_rate", "team_rate", "ci_low", "ci_high")}
    return table.style.format({**percent, lesson.text("labels.q_value"): "{:.3f}"}, na_rep="—")


def experiment_panel(lesson, trials: int, seed: int = 1):
    """Sliders for the deals per rep and the weaker rep's true win rate; the flag rates and a simulated team."""
    import ipywidgets as widgets
    from IPython.display import Markdown

    from sim.plots.diagnostics import rep_exceptions_chart

    style = {"description_width": "initial"}  # the label as wide as its text, in either language
    deals = widgets.IntSlider(value=20, min=5, max=200, step=5, continuous_update=False, style=style)
    rate = widgets.FloatSlider(
        value=0.15, min=0.05, max=0.3, step=0.01, readout_format=".0%", continuous_update=False, style=style
    )
    out = widgets.Output()

    def render(*_) -> None:
        deals.description, rate.description = lesson.text("labels.deals"), lesson.text("labels.rep_rate")
        labels = {
            k: lesson.text(f"labels.{k}")
            for k in ("naive_weak", "naive_average", "credible_weak", "credible_average", "deals")
        }
        curve = credibility_curve(TEAM_RATE, rate.value, trials=trials, seed=seed)
        here = curve.set_index("deals").loc[deals.value]  # the slider moves along DEAL_COUNTS
        team = rep_exceptions(simulated_team(TEAM_RATE, rate.value, deals.value, seed=seed))
        figures = Markdown(
            lesson.text(
                "figures",
                deals=deals.value,
                team=TEAM_RATE,
                rep=rate.value,
                credible_weak=here.credible_weak,
                naive_average=here.naive_average,
                credible_average=here.credible_average,
            )
        )
        show(
            out,
            figures,
            credibility_chart(curve, deals.value, labels, lesson.text("labels.curve_title")),
            rep_exceptions_chart(
                team,
                lesson.text("labels.team_title"),
                lesson.text("labels.flagged"),
                lesson.text("labels.clear"),
                lesson.text("labels.untested"),
            ),
        )

    deals.observe(render, names="value")
    rate.observe(render, names="value")
    lesson._shown(render)
    return widgets.VBox([widgets.HBox([deals, rate]), out])
