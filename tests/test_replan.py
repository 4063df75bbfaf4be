"""A new plan for the rest of the year: what is won is kept, the remainder split like the plan's months,
to the unit; the scenario moved to the rest of the year; the whole loop through the command line on Maven."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import sim
from sim.calibrate import calibrate
from sim.cli import main
from sim.crm import read_opportunities
from sim.overrides import apply_overrides
from sim.replan import read_tracking, remaining_targets, rest_of_year
from sim.scenario import dump
from sim.spreadsheet import write_csv
from sim.targets import plan_table
from tests.conftest import MAVEN, W1

MONTHS = pd.period_range("2017-07", periods=12, freq="M")
TARGET = 12_000_000


def _company(targets) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "level": "company",
            "unit": "all",
            "period": MONTHS,
            "revenue_target": list(targets),
            "deals": 1.0,
            "leads": 2.0,
        }
    )


@given(
    targets=st.lists(st.integers(0, 2_000_000), min_size=12, max_size=12).filter(lambda t: sum(t) > 0),
    share=st.floats(0, 1),
    day=st.integers(0, 363),
)  # on day 364, the plan's last, nothing is left to plan
def test_achieved_and_the_remainder_make_the_annual_target_to_the_unit(targets, share, day):
    annual = sum(targets)
    achieved = int(annual * share)
    as_of = pd.Timestamp("2017-07-01") + pd.Timedelta(days=day)
    rest = remaining_targets(_company(targets), achieved, as_of)
    assert achieved + int(rest.sum()) == annual
    assert rest.index[0] == (as_of + pd.Timedelta(days=1)).to_period("M") and rest.index[-1] == MONTHS[-1]
    assert (rest >= 0).all()


def test_nothing_is_left_to_plan_on_the_plans_last_day():
    with pytest.raises(ValueError, match="the plan ends on 2018-06-30, by the as-of date 2018-06-30: nothing left"):
        remaining_targets(_company([100] * 12), achieved=0, as_of="2018-06-30")


def test_the_remainder_follows_the_plans_split():
    targets = [0, 0, 0, 100, 200, 0, 300, 100, 100, 100, 100, 0]  # a reserve month, a busy November
    rest = remaining_targets(_company(targets), achieved=0, as_of="2017-09-30")
    assert rest.tolist() == targets[3:]  # nothing won yet: the plan itself
    rest = remaining_targets(_company(targets), achieved=500, as_of="2017-09-30")
    assert rest.tolist() == [50, 100, 0, 150, 50, 50, 50, 50, 0]


def test_the_as_of_month_weighs_only_its_days_to_come():
    # 2017-09-20: 14 of September's 21 weekdays are gone, a third of its target is still to plan
    rest = remaining_targets(_company([2100] * 12), achieved=0, as_of="2017-09-20")
    assert rest.index[0] == pd.Period("2017-09", "M")
    assert rest.iloc[0] / rest.iloc[1] == pytest.approx(7 / 21, abs=1e-3)


def test_more_won_than_the_year_asks_leaves_nothing_to_plan():
    assert remaining_targets(_company([100] * 12), achieved=5000, as_of="2017-09-30").sum() == 0


def test_nothing_left_after_the_plan_is_refused():
    with pytest.raises(ValueError, match="nothing left to plan"):
        remaining_targets(_company([100] * 12), achieved=0, as_of="2018-06-30")


def test_rest_of_year_moves_the_start_and_the_hires():
    base = sim.load(W1)
    team = base.teams[0].name
    scenario = apply_overrides(
        base, {"start_date": "2027-01-01", f"teams.{team}.hires": [{"day": 10, "count": 2}, {"day": 200, "count": 3}]}
    )
    moved = rest_of_year(scenario, "2027-03-31", "2027-12-31")
    assert str(moved.start_date) == "2027-04-01" and moved.horizon_days == 275
    moved_team = moved.team(team)
    assert moved_team.headcount == scenario.team(team).headcount + 2  # the January hires are on the team
    assert [(h.day, h.count) for h in moved_team.hires] == [(200 - 90, 3)]  # the same calendar day


def test_a_tracking_file_without_its_fields_is_refused(tmp_path):
    (tmp_path / "tracking.json").write_text(json.dumps({"as_of": "2017-09-30", "status": []}))
    with pytest.raises(sim.ScenarioError) as err:
        read_tracking(tmp_path)
    lines = str(err.value).splitlines()
    assert lines[0] == f"{tmp_path / 'tracking.json'}: plan_dir: missing: the folder of the plan tracked"
    assert lines[1].endswith("status: no company row for the year with an actual_to_date of zero or more")


@pytest.fixture(scope="module")
def plan_dir(tmp_path_factory):
    """A plan from Maven as it read on 2017-06-30, written as ``plan --method even --out`` writes it."""
    scenario = calibrate(read_opportunities(MAVEN, "maven").as_known_on("2017-06-30")).scenario()
    folder = tmp_path_factory.mktemp("plan")
    write_csv(folder / "plan.csv", plan_table(scenario, TARGET, "even"))
    dump(scenario, folder / "scenario.yaml")
    return folder


def _won(start: str, end: str) -> int:
    raw = pd.read_csv(MAVEN / "sales_pipeline.csv")
    return round(raw[(raw.deal_stage == "Won") & raw.close_date.between(start, end)].close_value.sum())


@pytest.mark.parametrize("as_of", ["2017-09-20", "2017-09-30"])
def test_plan_from_track_keeps_what_is_won(plan_dir, tmp_path, as_of, capsys, schedule_solves):
    tracked, replanned = tmp_path / "track", tmp_path / "replan"
    assert (
        main(
            [
                "track",
                str(plan_dir),
                str(MAVEN),
                "--as-of",
                as_of,
                "--replications",
                "5",
                "--checkpoints",
                "end",
                "--out",
                str(tracked),
            ]
        )
        == 0
    )
    schedule_solves.clear()
    assert main(["plan", "--from-track", str(tracked), "--replications", "2", "--out", str(replanned)]) == 0
    assert len(schedule_solves) == 1  # the plan table and its feasibility check share one solve
    kept = json.loads((replanned / "replan.json").read_text())
    assert kept["achieved"] == _won("2017-07-01", as_of) and kept["annual_target"] == TARGET
    plan = pd.read_csv(replanned / "plan.csv")
    company = plan[plan.level == "company"]
    assert kept["achieved"] + company.revenue_target.sum() == TARGET  # to the unit
    assert kept["remaining"] == company.revenue_target.sum()
    first = "2017-09" if as_of == "2017-09-20" else "2017-10"
    assert company.period.tolist() == [str(m) for m in pd.period_range(first, "2018-06", freq="M")]
    assert kept["start"] == str((pd.Timestamp(as_of) + pd.Timedelta(days=1)).date())
    for level in ("tier", "rep"):  # every level still adds up to the company, month by month
        sums = plan[plan.level == level].groupby("period").revenue_target.sum()
        assert sums.tolist() == company.set_index("period").revenue_target.loc[sums.index].tolist()
    assert "keeping" in capsys.readouterr().out
    # the replan is a plan like any other: it can be tracked in turn, from its own first day
    day = {"2017-09-20": "2017-09-30", "2017-09-30": "2017-12-31"}[as_of]
    assert (
        main(
            [
                "track",
                str(replanned),
                str(MAVEN),
                "--as-of",
                day,
                "--replications",
                "5",
                "--out",
                str(tmp_path / "again"),
            ]
        )
        == 0
    )
    again = json.loads((tmp_path / "again" / "tracking.json").read_text())
    assert again["plan"] == {"start": kept["start"], "end": "2018-06-30"}
    company_again = {r["horizon"]: r for r in again["status"] if r["level"] == "company"}
    assert company_again["year"]["actual_to_date"] == _won(kept["start"], day)
    if as_of == "2017-09-20":  # September's row was for its last ten days, all gone by the 30th
        assert company_again["month"]["target_to_date"] == company_again["month"]["target"] == kept["months"]["2017-09"]
        assert again["gap"]["by_unit"][0]["target"] == kept["months"]["2017-09"]


def test_plan_from_track_refuses_a_target(plan_dir, tmp_path, capsys):
    (tmp_path / "tracking.json").write_text("{}")
    assert main(["plan", "--from-track", str(tmp_path), "--target", "5"]) == 2
    assert "--target: not with --from-track" in capsys.readouterr().err


def test_plan_needs_a_scenario_or_a_tracking(capsys):
    assert main(["plan"]) == 2
    assert "give a scenario FILE (or --from-track DIR" in capsys.readouterr().err


def test_a_tracking_of_won_deals_cannot_be_replanned(tmp_path):
    status = [{"level": "company", "horizon": "year", "actual_to_date": 12}]
    (tmp_path / "tracking.json").write_text(
        json.dumps({"as_of": "2017-09-30", "plan_dir": str(tmp_path), "status": status, "measure": "deals"})
    )
    with pytest.raises(sim.ScenarioError, match="measure: 'deals': a replan keeps revenue won"):
        read_tracking(tmp_path)
