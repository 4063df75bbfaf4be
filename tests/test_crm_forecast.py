"""The CRM's own forecast: categories, probabilities and expected close dates read strictly, rolled up, slipped deals."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pytest

from sim.calibrate import calibrate
from sim.cli import main
from sim.crm import read_opportunities
from sim.crm_forecast import crm_forecast
from sim.crm_values import read_forecast_categories, read_probabilities
from sim.forecast import ZombieShare, expected_outcome, open_deal_odds
from sim.rolling import _known_on

HEADER = [
    "Opportunity ID",
    "Opportunity Owner",
    "Owner Role",
    "Account Name",
    "Stage",
    "Created Date",
    "Close Date",
    "Amount",
    "Lead Source",
    "Product Name",
    "Billing State/Province",
    "Forecast Category",
    "Probability (%)",
]

# open deals on 2024-03-31: (id, stage, created, expected close, amount, category, probability %)
OPEN = [
    ("o1", "Negotiation/Review", "02/01/2024", "03/01/2024", "1,000", "Commit", "90"),  # slipped 30 days
    ("o2", "Proposal/Price Quote", "02/15/2024", "04/30/2024", "2000", "Commit", "75"),
    ("o3", "Value Proposition", "03/01/2024", "03/21/2024", "4000", "Best Case", "50"),  # slipped 10 days
    ("o4", "Qualification", "03/10/2024", "05/15/2024", "8000", "Pipeline", "20"),
    ("o5", "Prospecting", "03/20/2024", "01/31/2024", "16000", "Omitted", "10"),  # slipped 60 days
    ("o6", "Prospecting", "03/25/2024", "03/31/2024", "", "Pipeline", ""),  # due today: not slipped
]


def history() -> list[list[str]]:
    """Closed deals of 2023, one every three days, won and lost by turns, each closed 30 days after created."""
    rows = []
    for i in range(110):
        created = pd.Timestamp("2023-01-02") + pd.Timedelta(days=3 * i)
        closed = created + pd.Timedelta(days=30)
        won = i % 2 == 0
        rows.append(
            [
                f"h{i}",
                "Ann",
                "AE",
                f"K{i}",
                "Closed Won" if won else "Closed Lost",
                f"{created:%m/%d/%Y}",
                f"{closed:%m/%d/%Y}",
                "1000",
                "Web",
                "X",
                "CA",
                "Closed",
                "100" if won else "0",
            ]
        )
    return rows


def export(path: Path, extra: list[list[str]] = ()) -> Path:
    with path.open("w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(HEADER)
        writer.writerows(history())
        for oid, stage, created, expected, amount, category, probability in OPEN:
            writer.writerow(
                [
                    oid,
                    "=HYPERLINK(1)",
                    "AE",
                    "K",
                    stage,
                    created,
                    expected,
                    amount,
                    "Web",
                    "X",
                    "CA",
                    category,
                    probability,
                ]
            )
        writer.writerows(extra)
    return path


def test_categories_probabilities_and_slipped_deals_of_a_salesforce_export(tmp_path):
    crm = read_opportunities(export(tmp_path / "sf.csv"), "salesforce", as_of="2024-03-31")
    assert crm.report.skipped.empty
    view = crm_forecast(crm)
    assert view.rollups.loc["commit"].tolist() == [2, 3000.0, 0]
    assert view.rollups.loc["best_case"].tolist() == [3, 7000.0, 0]
    assert view.rollups.loc["pipeline"].tolist() == [5, 15000.0, 1]  # o6 has no amount; o5 is omitted
    assert view.rollups.loc["all_open"].tolist() == [6, 31000.0, 1]
    assert view.probability_weighted == pytest.approx(0.9 * 1000 + 0.75 * 2000 + 0.5 * 4000 + 0.2 * 8000 + 0.1 * 16000)
    assert view.with_probability == 5
    assert view.slipped["opportunity_id"].tolist() == ["o5", "o1", "o3"]
    assert view.slipped["days_slipped"].tolist() == [60, 30, 10]
    summary = view.summary()["slipped"]
    assert summary == {"deals": 3, "value": 21000.0, "median_days_slipped": 30.0}


def test_bad_probability_category_and_expected_close_are_reported_at_their_true_lines(tmp_path):
    rows = [
        [
            "b1",
            "Bo",
            "AE",
            "line one\nline two",
            "Prospecting",
            "03/01/2024",
            "04/01/2024",
            "10",
            "Web",
            "X",
            "CA",
            "Commit",
            "150",
        ],
        ["b2", "Bo", "AE", "K", "Prospecting", "03/01/2024", "04/01/2024", "10", "Web", "X", "CA", "Commit", "high"],
        ["b3", "Bo", "AE", "K", "Prospecting", "03/01/2024", "2024-04-01", "10", "Web", "X", "CA", "Commit", "5"],
        ["b4", "Bo", "AE", "K", "Prospecting", "03/01/2024", "04/01/2024", "10", "Web", "X", "CA", "Sure thing", "5"],
    ]
    crm = read_opportunities(export(tmp_path / "sf.csv", rows), "salesforce", as_of="2024-03-31")
    first = 2 + len(history()) + len(OPEN)  # header on line 1; b1's quoted line break takes two lines
    skipped = crm.report.skipped
    assert skipped[["row", "column", "problem"]].values.tolist() == [
        [first, "Probability (%)", "unparseable probability"],
        [first + 2, "Probability (%)", "unparseable probability"],
        [first + 3, "Close Date", "unparseable date"],
        [first + 4, "Forecast Category", "unknown forecast category"],
    ]
    assert "'150' is above 100%" in skipped["detail"].iloc[0]
    assert not crm.opportunities["opportunity_id"].isin(["b1", "b2", "b3", "b4"]).any()


def test_absent_forecast_columns_leave_the_fields_empty(tmp_path):
    path = tmp_path / "plain.csv"
    pd.read_csv(export(tmp_path / "sf.csv"), dtype=str).drop(columns=["Forecast Category", "Probability (%)"]).to_csv(
        path, index=False
    )
    crm = read_opportunities(path, "salesforce", as_of="2024-03-31")
    assert crm.opportunities["forecast_category"].isna().all() and crm.opportunities["probability"].isna().all()
    assert any("'Forecast Category', 'Probability (%)' not in the file" in note for note in crm.report.notes)
    view = crm_forecast(crm)
    assert not view.has_categories and view.probability_weighted is None and len(view.slipped) == 3


def test_as_known_on_forgets_what_the_crm_said_of_deals_closed_later(tmp_path):
    crm = read_opportunities(export(tmp_path / "sf.csv"), "salesforce", as_of="2024-03-31")
    then = crm.as_known_on("2023-06-30").opportunities
    reopened = then[then["opportunity_id"].isin(["h58", "h59"])]  # created June 2023, closed in July
    assert (reopened["status"] == "open").all()
    assert reopened[["expected_close", "forecast_category", "probability"]].isna().all().all()


def test_category_and_probability_readers():
    categories, why = read_forecast_categories(
        pd.Series(["COMMIT", "best-case", "OMIT", "Closed won", "Pipeline", "Forecast", "MostLikely", "Not forecasted"])
    )
    assert (
        categories.tolist()
        == ["commit", "best_case", "omitted", "closed", "pipeline", "commit", "best_case", "omitted"]
        and why.isna().all()
    )
    fractions, why = read_probabilities(pd.Series(["0.25", "0,5"]), decimal=",")
    assert pd.isna(fractions[0]) and why.notna()[0] and fractions[1] == 0.5


def test_cli_forecast_reports_the_crm_view_and_writes_a_formula_safe_slipped_csv(tmp_path, capsys):
    path = export(tmp_path / "sf.csv")
    assert (
        main(
            [
                "forecast",
                str(path),
                "--mapping",
                "salesforce",
                "--as-of",
                "2024-03-31",
                "--replications",
                "20",
                "--method",
                "simulation",
                "--out",
                str(tmp_path / "f"),
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert "commit 3,000 (2 deals), best case 7,000 (3 deals), pipeline 15,000 (5 deals)" in printed
    assert "slipped: 3 open deals past their expected close date, worth 21,000, a median 30 days late" in printed
    result = json.loads((tmp_path / "f" / "forecast.json").read_text())
    assert result["crm_forecast"]["rollups"]["best_case"]["value"] == 7000.0
    assert result["crm_forecast"]["probability_weighted"] == pytest.approx(7600.0)
    slipped = pd.read_csv(tmp_path / "f" / "slipped.csv", dtype=str)
    assert slipped["opportunity_id"].tolist() == ["o5", "o1", "o3"]
    assert set(slipped["rep"]) == {"'=HYPERLINK(1)"}


def test_hubspot_export_with_fractional_probabilities(tmp_path):
    path = tmp_path / "deals.csv"
    pd.DataFrame(
        {
            "Record ID": ["1", "2", "3", "4"],
            "Deal owner": ["Ann"] * 4,
            "Team": ["East"] * 4,
            "Associated Company": ["K"] * 4,
            "Deal Stage": ["Contract Sent", "Qualified To Buy", "Closed Won", "Appointment Scheduled"],
            "Create Date": ["2024-01-05", "2024-02-01", "2024-01-02", "2024-03-01"],
            "Close Date": ["2024-03-15", "2024-05-01", "2024-02-01", "2024-03-30"],
            "Amount": ["500", "300", "200", "100"],
            "Original Source Type": ["Web"] * 4,
            "Deal Type": ["New"] * 4,
            "Forecast category": ["Commit", "Best case", "Closed won", "Not forecasted"],
            "Deal probability": ["0.9", "0.4", "1", "0.2"],
        }
    ).to_csv(path, index=False)
    crm = read_opportunities(path, "hubspot", as_of="2024-03-31")
    view = crm_forecast(crm)
    assert view.rollups["value"].to_dict() == {
        "commit": 500.0,
        "best_case": 800.0,
        "pipeline": 800.0,
        "all_open": 900.0,
    }
    assert view.probability_weighted == pytest.approx(0.9 * 500 + 0.4 * 300 + 0.2 * 100)
    assert view.slipped["opportunity_id"].tolist() == ["1", "4"] and view.slipped["days_slipped"].tolist() == [16, 1]


def test_slipped_deals_are_aged_from_the_won_deals_median_cycle_plus_the_slip(tmp_path):
    """Every won deal of the history closed 30 days after created: a deal slipped by s days is aged
    max(age since created, 30 + s), is "old" for the zombie share, and its odds fall accordingly."""
    crm = read_opportunities(export(tmp_path / "sf.csv"), "salesforce", as_of="2024-03-31")
    cal = calibrate(crm)
    odds = open_deal_odds(crm, cal, 30).set_index("opportunity_id")
    # o1: 59 days old, slipped 30; o2: 45, on time; o3: 30, slipped 10; o4: 21; o5: 11, slipped 60; o6: 6, due today
    assert odds["age"].to_dict() == {"o1": 60, "o2": 45, "o3": 40, "o4": 21, "o5": 90, "o6": 6}
    assert odds.loc[["o1", "o3", "o5"], "p_won"].eq(0).all()  # past the oldest close: no win expected
    assert odds.loc["o4", "p_won"] > 0
    assert ZombieShare(30, young=0.0, old=1.0).of(odds["age"].to_numpy()).tolist() == [1, 1, 1, 0, 1, 0]
    unslipped = crm.opportunities.assign(expected_close=pd.NaT)
    plain = crm.__class__(unslipped, crm.report, crm.stages, crm.mapping, crm.known_on)
    assert open_deal_odds(plain, cal, 30)["age"].tolist() == [59, 45, 30, 21, 11, 6]
    assert expected_outcome(crm, cal, "2024-04-30")[0] < expected_outcome(plain, cal, "2024-04-30")[0]


def test_backtests_forget_expected_close_dates_before_the_exports_last_day(tmp_path):
    """The export holds only an open deal's last expected close date, unknown at an earlier cut-off."""
    crm = read_opportunities(export(tmp_path / "sf.csv"), "salesforce", as_of="2024-03-31")
    assert _known_on(crm, pd.Timestamp("2024-03-20")).opportunities["expected_close"].isna().all()
    today = _known_on(crm, crm.as_of).opportunities
    assert today["expected_close"].notna().sum() == crm.opportunities["expected_close"].notna().sum() > 0
