"""Diagnostics on the shipped Maven data, checked against the raw files, and the diagnose/tiers commands."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from sim.cli import main
from sim.crm import read_opportunities
from sim.diagnostics import diagnose, rep_exceptions
from sim.tiers import read_invoices
from tests.conftest import MAVEN

PIPELINE = MAVEN / "sales_pipeline.csv"


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    pipeline = pd.read_csv(PIPELINE, parse_dates=["engage_date", "close_date"])
    return pipeline.merge(pd.read_csv(MAVEN / "sales_teams.csv"), on="sales_agent", how="left")


@pytest.fixture(scope="module")
def maven():
    crm = read_opportunities(PIPELINE, "maven")
    return crm, diagnose(crm)


def test_maven_funnel_matches_the_raw_stage_counts(raw, maven):
    _, result = maven
    counts = raw.deal_stage.value_counts()
    engaging = result.funnel.loc["Engaging"]
    assert engaging.conversion == pytest.approx(counts["Won"] / (counts["Won"] + counts["Lost"]))
    assert engaging.open == counts["Engaging"]
    assert result.funnel.loc["Prospecting", "open"] == counts["Prospecting"]
    assert list(result.funnel.index) == ["Prospecting", "Engaging"]  # the won stage is the outcome, not a step


def test_maven_aging_limit_is_the_p90_time_to_win(raw, maven):
    _, result = maven
    won = raw[raw.deal_stage == "Won"]
    limit = np.quantile((won.close_date - won.engage_date).dt.days, 0.9)
    assert result.aging.limit_days.iloc[0] == pytest.approx(limit)
    as_of = max(raw.engage_date.max(), raw.close_date.max())
    open_deals = raw[raw.deal_stage.isin(["Engaging", "Prospecting"]) & raw.engage_date.notna()]
    assert len(result.aging) == int(((as_of - open_deals.engage_date).dt.days > limit).sum())


def test_maven_rep_rates_against_the_rest_of_their_manager_team(raw, maven):
    _, result = maven
    decided = raw[raw.deal_stage.isin(["Won", "Lost"])]
    rep = "Lajuana Vencill"
    mine = decided[decided.sales_agent == rep]
    rest = decided[(decided.manager == mine.manager.iloc[0]) & (decided.sales_agent != rep)]
    row = result.exceptions.set_index("rep").loc[rep]
    assert row.win_rate == pytest.approx((mine.deal_stage == "Won").mean())
    assert row.team_rate == pytest.approx((rest.deal_stage == "Won").mean())
    # 55% against 65%: credible (q < 0.05) but only 15% below, so not flagged at the practice's 20%
    assert row.q_value < 0.05 and not row.flagged
    assert not result.exceptions.flagged.any()
    stricter = rep_exceptions(maven[0].opportunities, materiality=0.1)
    assert stricter[stricter.flagged].rep.tolist() == [rep]


def test_maven_tiers_partition_the_accounts(raw, maven):
    _, result = maven
    won_accounts = raw[(raw.deal_stage == "Won") & raw.account.notna()].account.nunique()
    assert len(result.tiers) == won_accounts == result.tier_summary.customers.sum()


def test_diagnose_command_writes_its_files(tmp_path):
    bench = tmp_path / "bench.yaml"
    bench.write_text("conversion:\n  Engaging: 0.7\n")
    assert (
        main(
            ["diagnose", str(PIPELINE), "--mapping", "maven", "--benchmark", str(bench), "--out", str(tmp_path / "out")]
        )
        == 0
    )
    out = tmp_path / "out"
    summary = json.loads((out / "diagnostics.json").read_text())
    assert set(summary) >= {"funnel", "bottlenecks", "exceptions", "aging", "tiers", "coaching"}
    assert summary["rows_read"] == summary["rows_used"] == 8800
    assert summary["bottlenecks"][0]["kind"] == "conversion" and summary["bottlenecks"][0]["stage"] == "Engaging"
    coaching = pd.read_csv(out / "coaching.csv")
    assert len(coaching) == summary["aging"]["deals"] + len(summary["exceptions"]["flagged"])
    assert (out / "funnel.png").stat().st_size > 0 and (out / "reps.png").stat().st_size > 0


@pytest.mark.parametrize(
    "args, message",
    [
        (["missing.csv"], "missing.csv: file not found"),
        ([str(PIPELINE), "--mapping", "nosuch"], "nosuch: is neither a preset"),
        ([str(MAVEN / "products.csv")], "column 'opportunity_id' is not in the file"),
    ],
)
def test_diagnose_bad_input_exits_2(tmp_path, capsys, args, message):
    assert main(["diagnose", *args, "--out", str(tmp_path)]) == 2
    assert message in capsys.readouterr().err


def test_diagnose_bad_benchmark_exits_2_with_line_and_field(tmp_path, capsys):
    bench = tmp_path / "bench.yaml"
    bench.write_text("conversion:\n  Engaging: 1.5\n")
    assert main(["diagnose", str(PIPELINE), "--benchmark", str(bench), "--out", str(tmp_path)]) == 2
    assert f"{bench}:2: conversion.Engaging: 1.5 is not a probability (0 to 1)" in capsys.readouterr().err
    bench.write_text("conversion:\n  Closing: 0.5\n")
    assert main(["diagnose", str(PIPELINE), "--benchmark", str(bench), "--out", str(tmp_path)]) == 2
    assert "conversion.Closing: is not a stage of the funnel (Prospecting, Engaging)" in capsys.readouterr().err


def test_diagnose_bad_options_exit_2(tmp_path):
    for option in (["--as-of", "2017-13-01"], ["--materiality", "1.5"], ["--min-deals", "0"]):
        with pytest.raises(SystemExit) as exc:
            main(["diagnose", str(PIPELINE), *option, "--out", str(tmp_path)])
        assert exc.value.code == 2


def test_tiers_command_with_invoices(tmp_path, capsys):
    invoices = tmp_path / "invoices.csv"
    invoices.write_text(
        "invoice_id,customer,amount,issued,paid\n"
        "1,Acme Corporation,100,2017-12-20,\n"  # line 2: 11 days
        "2,Betatech,250,2017-10-01,\n"  # line 3: 91 days: alert
        "3,Betatech,abc,2017-10-01,\n"  # line 4: unparseable amount
        "4,Cancity,70,2017-11-01,2017-10-01\n"  # line 5: paid before issued
        "5,Cancity,40,2017-11-15,2017-12-01\n"
    )  # line 6: paid
    assert (
        main(
            [
                "tiers",
                str(PIPELINE),
                "--invoices",
                str(invoices),
                "--as-of",
                "2017-12-31",
                "--out",
                str(tmp_path / "out"),
            ]
        )
        == 0
    )
    report = json.loads((tmp_path / "out" / "tiers.json").read_text())
    assert report["receivables"]["outstanding"] == 350
    assert report["receivables"]["buckets"]["90+"] == {"amount": 250.0, "invoices": 1}
    assert report["receivables"]["alerts"] == 1 and report["receivables"]["invoices_skipped"] == 2
    assert sum(t["customers"] for t in report["tiers"]) == report["customers"]
    skipped = pd.read_csv(tmp_path / "out" / "invoices_skipped.csv")
    assert skipped[["row", "column", "problem"]].values.tolist() == [
        [4, "amount", "unparseable amount"],
        [5, "paid", "paid before issued"],
    ]


def test_invoice_file_missing_columns(tmp_path):
    from sim.errors import ScenarioError

    path = tmp_path / "inv.csv"
    path.write_text("id,amount\n1,2\n")
    with pytest.raises(ScenarioError, match="issued: column missing"):
        read_invoices(path)


def test_tier_rules_file_and_its_errors(tmp_path, capsys):
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "window_days: 90\ntiers:\n  - {name: key, min_monetary: 100000, cadence_days: 7}\n"
        "other: {name: rest, cadence_days: 30}\n"
    )
    assert main(["tiers", str(PIPELINE), "--tier-rules", str(rules), "--out", str(tmp_path / "out")]) == 0
    report = json.loads((tmp_path / "out" / "tiers.json").read_text())
    assert [t["tier"] for t in report["tiers"]] == ["key", "rest"]
    assert sum(t["customers"] for t in report["tiers"]) == 85
    rules.write_text("tiers:\n  - {name: key, cadence_days: weekly}\nother: {name: rest, cadence_days: 30}\n")
    assert main(["diagnose", str(PIPELINE), "--tier-rules", str(rules), "--out", str(tmp_path / "x")]) == 2
    assert f"{rules}:2: tiers[0].cadence_days: 'weekly' is not a whole number" in capsys.readouterr().err
