"""Plan against actual: a plan made from Maven to 2017-06-30, tracked at the September checkpoints;
the gap's decomposition exact to the unit; bad input refused with exit 2."""

from __future__ import annotations

import csv
import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.cli import main
from sim.crm import read_opportunities
from sim.spreadsheet import write_csv
from sim.tracking import Drivers, decompose, read_plan, shapley, track
from tests.conftest import MAVEN, OLIST, needs_olist

PIPELINE = MAVEN / "sales_pipeline.csv"
CHECKPOINT_DAYS = ("2017-09-10", "2017-09-20", "2017-09-30")
TARGET = 12_000_000


@pytest.fixture(scope="module")
def scenario_file(tmp_path_factory):
    """A scenario calibrated through the CLI on Maven as it read on 2017-06-30 (its year starts on 07-01)."""
    path = tmp_path_factory.mktemp("calibrated") / "maven.yaml"
    assert main(["calibrate", str(MAVEN), "--mapping", "maven", "--as-of", "2017-06-30", "--out", str(path)]) == 0
    return path


@pytest.fixture(scope="module")
def plan_dir(scenario_file, tmp_path_factory):
    """The folder ``salesplay plan --method even --out`` writes (plan.csv, feasibility.json, scenario.yaml):
    the lagged plan, written through the formula-safe writer, is what ``track`` reads."""
    folder = tmp_path_factory.mktemp("plan")
    assert (
        main(
            [
                "plan",
                str(scenario_file),
                "--target",
                str(TARGET),
                "--method",
                "even",
                "--replications",
                "2",
                "--out",
                str(folder),
            ]
        )
        == 0
    )
    return folder


@pytest.fixture(scope="module")
def tracked(plan_dir, tmp_path_factory):
    """The CLI's outputs at each checkpoint day (50 replications: the figures checked below do not depend on them)."""
    outputs = {}
    for day in CHECKPOINT_DAYS:
        out = tmp_path_factory.mktemp(f"track-{day}")
        assert (
            main(
                [
                    "track",
                    str(plan_dir),
                    str(MAVEN),
                    "--mapping",
                    "maven",
                    "--as-of",
                    day,
                    "--replications",
                    "50",
                    "--seed",
                    "3",
                    "--out",
                    str(out),
                ]
            )
            == 0
        )
        outputs[day] = out
    return outputs


def _won(start: str, end: str) -> float:
    """Won revenue closed between two days, read straight from the raw file."""
    raw = pd.read_csv(PIPELINE)
    won = raw[(raw.deal_stage == "Won") & raw.close_date.between(start, end)]
    return float(won.close_value.sum())


def _parts(row: dict, stages: list[str]) -> int:
    return row["volume"] + sum(row[f"conversion:{s}"] for s in stages) + row["deal_size"] + row["timing"]


@pytest.mark.parametrize("day", CHECKPOINT_DAYS)
def test_maven_checkpoints_hold_actuals_against_the_plan(tracked, day):
    summary = json.loads((tracked[day] / "tracking.json").read_text())
    # one status line for each checkpoint of September passed by the as-of day
    assert [c["date"] for c in summary["checkpoints"]] == [d for d in CHECKPOINT_DAYS if d <= day]
    company = {r["horizon"]: r for r in summary["status"] if r["level"] == "company"}
    assert company["month"]["actual_to_date"] == round(_won("2017-09-01", day))
    assert company["year"]["actual_to_date"] == round(_won("2017-07-01", day))
    # September 2017 has 21 weekdays; the 10th closes the 6th, the 20th the 14th
    worked = {"2017-09-10": 6, "2017-09-20": 14, "2017-09-30": 21}[day]
    assert company["month"]["target_to_date"] == round(TARGET / 12 * worked / 21)
    assert company["year"]["target"] == TARGET and company["quarter"]["target"] == TARGET // 4
    for row in company.values():
        assert (
            0 <= row["p_make_low"] <= row["p_make"] <= row["p_make_high"] <= 1
            and row["p10"] <= row["p50"] <= row["p90"]
        )
        assert row["p_make_high"] - row["p_make_low"] > 0.05  # 50 futures cannot pin a chance down
        assert row["p10"] >= row["actual_to_date"]  # what is won stays won
    today = summary["checkpoints"][-1]  # the as-of day's line and the month's status tell the same story
    assert (today["p50"], today["p_make"]) == (company["month"]["p50"], company["month"]["p_make"])
    if day == "2017-09-30":  # nothing of the month is left to forecast
        assert company["month"]["p10"] == company["month"]["p90"] == company["month"]["actual_to_date"]
    # every product the plan names is tracked; their targets add up to the company's
    tiers = [r for r in summary["status"] if r["level"] == "tier" and r["horizon"] == "year"]
    assert len(tiers) == 7 and sum(r["target"] for r in tiers) == TARGET
    assert sum(r["actual_to_date"] for r in tiers) == pytest.approx(company["year"]["actual_to_date"], abs=len(tiers))
    assert any("rep: the export names no rep of the plan" in n for n in summary["notes"])  # plan seats, not people


@pytest.mark.parametrize("day", CHECKPOINT_DAYS)
def test_maven_gap_decomposition_adds_up_to_the_unit(tracked, day):
    gap = json.loads((tracked[day] / "tracking.json").read_text())["gap"]
    stages = [p.split(":", 1)[1] for p in gap["parts"] if p.startswith("conversion:")]
    assert stages == ["Prospecting", "Engaging"]
    for row in gap["by_unit"] + gap["reps"]:
        assert row["gap"] == row["actual"] - row["target"] == _parts(row, stages)
    company = gap["by_unit"][0]
    assert company["actual"] == round(_won("2017-07-01", day))
    # every rep at work splits the company's plan; their actuals add up to the company's
    assert sum(r["target"] for r in gap["reps"]) == company["target"]
    assert sum(r["actual"] for r in gap["reps"]) == company["actual"]
    assert gap["reps_carrying_most"] and all(r["gap"] < 0 for r in gap["reps_carrying_most"])


def test_maven_outputs_are_written_and_formula_safe(tracked):
    out = tracked["2017-09-30"]
    assert (out / "tracking.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (out / "review.md").read_text().startswith("# Review of the plan as of 2017-09-30\n")
    for name in ("tracking.csv", "gaps.csv", "review.csv"):
        with open(out / name, newline="") as f:
            cells = [cell for row in csv.reader(f) for cell in row]
        assert cells and not any(c[:1] in "=+@" or (c.startswith("-") and not _number(c)) for c in cells if c)


@pytest.mark.parametrize("day", CHECKPOINT_DAYS)
def test_maven_review_sheet_acts_on_the_gaps_own_parts(tracked, day):
    summary = json.loads((tracked[day] / "tracking.json").read_text())
    company = summary["gap"]["by_unit"][0]
    sheet = pd.read_csv(tracked[day] / "review.csv")
    assert sheet["rank"].tolist() == list(range(1, len(sheet) + 1)) and (sheet["amount"] < 0).all()
    rows = sheet[sheet["level"] == "company"].set_index("cause")["amount"].drop("the year", errors="ignore")
    parts = {
        "too few leads": "volume",
        "smaller deals": "deal_size",
        "deals closing later than planned": "timing",
        **{f"conversion at {key.split(':', 1)[1]}": key for key in company if key.startswith("conversion:")},
    }
    shortfalls = {cause: company[part] for cause, part in parts.items() if company[part] <= -0.01 * company["target"]}
    assert shortfalls and rows.to_dict() == shortfalls  # every material shortfall of the gap, by its own amount
    page = (tracked[day] / "review.md").read_text()
    assert summary["plan_dir"] and all(action in page for action in sheet["action"])
    tiers = {r["unit"]: r for r in summary["gap"]["by_unit"] if r["level"] == "tier"}
    per_lead = {u: r["actual_win_rate"] * r["actual_deal_size"] for u, r in tiers.items() if r["actual_leads"] > 0}
    moves = sheet[sheet["cause"] == "too few leads where they pay most"]
    assert len(moves) <= 1 and (day != "2017-09-30" or len(moves) == 1)  # at most one move a level
    for moved in moves.itertuples():
        source = moved.action.split(" from ")[1].split(" to ")[0]
        assert tiers[moved.unit]["volume"] == moved.amount < 0 and tiers[moved.unit]["gap"] < 0
        assert per_lead[moved.unit] == max(
            per_lead[u] for u in per_lead if tiers[u]["volume"] < 0 and tiers[u]["gap"] < 0
        )
        assert per_lead[source] == min(per_lead.values()) < per_lead[moved.unit]


def _number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def test_unit_names_that_look_like_formulas_are_escaped(tmp_path):
    raw = pd.read_csv(PIPELINE)
    raw.loc[raw["product"] == "GTK 500", "product"] = "=HYPERLINK(1)"
    export = tmp_path / "export"
    export.mkdir()
    raw.to_csv(export / "sales_pipeline.csv", index=False)
    months = pd.period_range("2017-07", periods=12, freq="M").astype(str)
    plan = pd.DataFrame(
        {
            "level": ["company"] * 12 + ["tier"] * 12,
            "unit": ["all"] * 12 + ["=HYPERLINK(1)"] * 12,
            "period": list(months) * 2,
            "revenue_target": [1000] * 12 + [100] * 12,
            "deals": 1.0,
            "leads": 2.0,
        }
    )
    (tmp_path / "plan").mkdir()
    write_csv(tmp_path / "plan" / "plan.csv", plan)  # as `plan --out` writes it: the unit escaped, and read back
    assert (
        main(
            [
                "track",
                str(tmp_path / "plan"),
                str(export),
                "--as-of",
                "2017-08-31",
                "--replications",
                "5",
                "--checkpoints",
                "end",
                "--out",
                str(tmp_path / "out"),
            ]
        )
        == 0
    )
    text = (tmp_path / "out" / "tracking.csv").read_text()
    assert "'=HYPERLINK(1)" in text and ",=HYPERLINK" not in text


# ----------------------------------------------------------------------------- the decomposition

_amount = st.floats(0, 1e7, allow_nan=False)
_count = st.floats(0, 1e5, allow_nan=False)
_rate = st.floats(0, 1, allow_nan=False)


@st.composite
def _drivers(draw, stages: int) -> Drivers:
    return Drivers(draw(_amount), draw(_count), tuple(draw(_rate) for _ in range(stages)), draw(_amount) / 100)


@given(st.integers(1, 5).flatmap(lambda k: st.tuples(_drivers(k), _drivers(k))))
def test_parts_add_up_to_the_gap_exactly(pair):
    plan, actual = pair
    stages = [f"s{i}" for i in range(len(plan.stage_rates))]
    parts = decompose(plan, actual, stages)
    assert parts["gap"] == round(actual.revenue) - round(plan.revenue)
    assert parts["volume"] + sum(parts["conversion"].values()) + parts["deal_size"] + parts["timing"] == parts["gap"]
    assert all(
        isinstance(v, int)
        for v in (parts["volume"], parts["deal_size"], parts["timing"], *parts["conversion"].values())
    )


@given(st.integers(1, 5).flatmap(lambda k: st.tuples(_drivers(k), _drivers(k))))
def test_shapley_shares_add_up_to_the_change_of_the_product(pair):
    plan, actual = pair
    shares = shapley(plan.factors, actual.factors)
    change = np.prod(actual.factors) - np.prod(plan.factors)
    assert shares.sum() == pytest.approx(change, rel=1e-9, abs=1e-6 * max(1.0, np.prod(plan.factors)))


def test_revenue_the_model_explains_leaves_no_timing():
    plan = Drivers(revenue=1_000_000, leads=1000, stage_rates=(0.5, 0.4), deal_size=5000)
    actual = Drivers(revenue=800 * 0.6 * 0.3 * 5500, leads=800, stage_rates=(0.6, 0.3), deal_size=5500)
    parts = decompose(plan, actual, ("a", "b"))
    assert abs(parts["timing"]) <= 2  # only the rounding of the four parts
    assert parts["volume"] < 0 < parts["deal_size"] and parts["conversion"]["a"] > 0 > parts["conversion"]["b"]


def test_only_the_factor_that_moved_carries_the_gap():
    plan = Drivers(revenue=1000, leads=100, stage_rates=(0.5,), deal_size=20)
    parts = decompose(plan, Drivers(revenue=1200, leads=100, stage_rates=(0.6,), deal_size=20), ("a",))
    assert parts == {"gap": 200, "volume": 0, "conversion": {"a": 200}, "deal_size": 0, "timing": 0}
    late = decompose(plan, Drivers(revenue=700, leads=100, stage_rates=(0.5,), deal_size=20), ("a",))
    assert late == {"gap": -300, "volume": 0, "conversion": {"a": 0}, "deal_size": 0, "timing": -300}


# ----------------------------------------------------------------------------- bad input


def test_missing_plan_exits_2(tmp_path, capsys):
    assert main(["track", str(tmp_path), str(MAVEN), "--as-of", "2017-09-10", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path / 'plan.csv'}: file not found" in err and "Traceback" not in err


def test_bad_date_exits_2(plan_dir, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["track", str(plan_dir), str(MAVEN), "--as-of", "2017-09-31", "--out", str(tmp_path)])
    assert exit_.value.code == 2
    assert "'2017-09-31' is not a date (YYYY-MM-DD)" in capsys.readouterr().err


def test_as_of_before_the_plan_exits_2(plan_dir, tmp_path, capsys):
    assert main(["track", str(plan_dir), str(MAVEN), "--as-of", "2017-06-30", "--out", str(tmp_path)]) == 2
    assert "the plan starts on 2017-07-01, after the as-of date 2017-06-30" in capsys.readouterr().err


def test_bad_plan_cells_are_named_by_line_and_field(tmp_path, capsys):
    (tmp_path / "plan.csv").write_text(
        "level,unit,period,revenue_target,deals,leads\ncompany,all,2017-07,1000,1,2\nregion,all,2017-08,-5,1,2\n"
    )
    assert main(["track", str(tmp_path), str(MAVEN), "--as-of", "2017-09-10", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [
        f"{tmp_path / 'plan.csv'}:3: level: 'region' is not a plan level (company, tier, channel, team, rep)",
        f"{tmp_path / 'plan.csv'}:3: revenue_target: '-5' is not a number of zero or more",
    ]


def test_read_plan_needs_the_plan_columns(tmp_path):
    (tmp_path / "plan.csv").write_text("level,unit,period\ncompany,all,2017-07\n")
    with pytest.raises(Exception, match=r"plan.csv:1: revenue_target: column missing"):
        read_plan(tmp_path)


def test_checkpoints_option_is_checked(plan_dir, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(
            [
                "track",
                str(plan_dir),
                str(MAVEN),
                "--as-of",
                "2017-09-10",
                "--checkpoints",
                "10,32",
                "--out",
                str(tmp_path),
            ]
        )
    assert exit_.value.code == 2 and "'32' is not a day of the month" in capsys.readouterr().err


def test_track_api_keeps_what_was_won(plan_dir):
    t = track(
        read_opportunities(MAVEN, "maven"), read_plan(plan_dir), "2017-09-20", checkpoints=(), replications=20, seed=1
    )
    curve = t.curve
    assert curve.loc["2017-09-20", "actual"] == curve.loc["2017-09-20", "p50"] == _won("2017-07-01", "2017-09-20")
    assert math.isnan(curve.loc["2017-09-21", "actual"]) and curve["p10"].dropna().is_monotonic_increasing
    assert curve["plan"].iloc[-1] == pytest.approx(TARGET)


def test_chart_shows_the_fan_and_each_periods_chance_with_its_interval(plan_dir):
    from sim.plots.tracking import plan_vs_actual_chart

    t = track(
        read_opportunities(MAVEN, "maven"), read_plan(plan_dir), "2017-09-20", checkpoints=(), replications=40, seed=1
    )
    fig = plan_vs_actual_chart(t)
    chart, table = fig.axes
    assert {"plan", "actual", "projection P10-P90", "projection P50"} <= {
        t.get_text() for t in chart.get_legend().get_texts()
    }
    texts = [c.get_text().get_text() for c in table.tables[0].get_celld().values()]
    year = t.status[(t.status.level == "company") & (t.status.horizon == "year")].iloc[0]
    assert f"{year.p_make:.0%} ({year.p_make_low:.0%} to {year.p_make_high:.0%})" in texts
    assert {"month", "quarter", "year"} <= set(texts)


# ----------------------------------------------------------------------------- won deals instead of revenue


def _won_count(crm, start: str, end: str) -> int:
    ops = crm.opportunities
    return int(((ops.status == "won") & ops.closed.between(start, end)).sum())


def test_deals_measure_counts_won_deals_against_the_plans_deals(plan_dir, tmp_path):
    assert (
        main(
            [
                "track",
                str(plan_dir),
                str(MAVEN),
                "--as-of",
                "2017-09-20",
                "--measure",
                "deals",
                "--replications",
                "30",
                "--checkpoints",
                "end",
                "--out",
                str(tmp_path),
            ]
        )
        == 0
    )
    summary = json.loads((tmp_path / "tracking.json").read_text())
    assert summary["measure"] == "deals"
    company = {r["horizon"]: r for r in summary["status"] if r["level"] == "company"}
    crm = read_opportunities(MAVEN, "maven")
    assert company["year"]["actual_to_date"] == _won_count(crm, "2017-07-01", "2017-09-20")
    plan = read_plan(plan_dir)
    assert company["year"]["target"] == round(plan.loc[plan.level == "company", "deals"].sum())
    for row in summary["gap"]["by_unit"]:
        assert row["deal_size"] == 0 and row["gap"] == _parts(row, ["Prospecting", "Engaging"])
    assert 0 <= company["year"]["p_make_low"] <= company["year"]["p_make"] <= company["year"]["p_make_high"] <= 1


def test_unknown_measure_is_refused(plan_dir):
    with pytest.raises(ValueError, match="measure 'units' is not one of revenue, deals"):
        track(read_opportunities(MAVEN, "maven"), read_plan(plan_dir), "2017-09-20", measure="units")


@needs_olist
def test_olist_won_deals_tracked_by_channel(tmp_path):
    """Olist records no deal values: its won deals are tracked against a plan of deals, by lead origin."""
    crm = read_opportunities(OLIST, "olist")
    months = pd.period_range("2018-01", periods=12, freq="M").astype(str)
    rows = [
        {"level": "company", "unit": "all", "period": m, "revenue_target": 0, "deals": 100.0, "leads": 800.0}
        for m in months
    ]
    rows += [
        {
            "level": "channel",
            "unit": origin,
            "period": m,
            "revenue_target": 0,
            "deals": share * 100,
            "leads": share * 800,
        }
        for origin, share in (("organic_search", 0.6), ("paid_search", 0.4))
        for m in months
    ]
    write_csv(tmp_path / "plan.csv", pd.DataFrame(rows))
    assert (
        main(
            [
                "track",
                str(tmp_path),
                str(OLIST),
                "--mapping",
                "olist",
                "--as-of",
                "2018-03-31",
                "--measure",
                "deals",
                "--replications",
                "30",
                "--out",
                str(tmp_path / "out"),
            ]
        )
        == 0
    )
    summary = json.loads((tmp_path / "out" / "tracking.json").read_text())
    company = {r["horizon"]: r for r in summary["status"] if r["level"] == "company"}
    known = crm.as_known_on("2018-03-31")
    assert company["year"]["actual_to_date"] == _won_count(known, "2018-01-01", "2018-03-31") > 0
    assert company["year"]["target"] == 1200 and company["quarter"]["target_to_date"] == 300
    channels = {r["unit"] for r in summary["status"] if r["level"] == "channel"}
    assert channels == {"organic_search", "paid_search"}
    stages = [p.split(":", 1)[1] for p in summary["gap"]["parts"] if p.startswith("conversion:")]
    for row in summary["gap"]["by_unit"]:
        assert row["gap"] == row["actual"] - row["target"] == _parts(row, stages) and row["deal_size"] == 0


def test_deals_closed_later_on_the_as_of_day_count(tmp_path):
    """An export may carry the time of day: a deal won at 15:00 on the as-of day is won by that day."""
    raw = pd.read_csv(PIPELINE)
    raw["close_date"] = raw["close_date"].where(raw["close_date"].isna(), raw["close_date"] + "T15:00")
    (tmp_path / "export").mkdir()
    raw.to_csv(tmp_path / "export" / "sales_pipeline.csv", index=False)
    months = pd.period_range("2017-07", periods=12, freq="M")
    plan = pd.DataFrame(
        {
            "level": "company",
            "unit": "all",
            "period": months,
            "revenue_target": 1_000_000,
            "deals": 400.0,
            "leads": 700.0,
        }
    )
    t = track(
        read_opportunities(tmp_path / "export", "maven"), plan, "2017-09-30", checkpoints=("end",), replications=5
    )
    month = t.status[(t.status.level == "company") & (t.status.horizon == "month")].iloc[0]
    assert month["actual_to_date"] == round(_won("2017-09-01", "2017-09-30")) == t.checkpoints[0]["actual"]
    assert t.gaps.iloc[0]["actual"] == round(_won("2017-07-01", "2017-09-30"))
