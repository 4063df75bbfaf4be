"""Hostile and careless CRM exports through the CLI (issue 15, families 2 to 5).

Each test builds its export in ``tmp_path`` and checks what the original failure was:
formulas reaching the CSV outputs raw, amounts silently misread, dates that crashed the
commands or moved the as-of date, line numbers off by the blank lines and quoted line
breaks before them, and pandas' NA strings turning names into missing values.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from sim.cli import main
from sim.crm import read_opportunities
from sim.spreadsheet import write_csv

from .conftest import MAVEN, ROOT

HEADER = "opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date,close_value"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def _export(folder: Path, body: str) -> Path:
    """A Maven-shaped export whose rows are ``body`` (the header is line 1), with Maven's team file."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(MAVEN / "sales_teams.csv", folder / "sales_teams.csv")
    path = folder / "sales_pipeline.csv"
    path.write_text(HEADER + "\n" + body, encoding="utf-8", newline="")
    return path


# Line by line: what each line of the export holds and what the reader must say of it.
HOSTILE = (
    'A1,Ann,X,K,Won,2017-01-02,2017-02-01,"1,000"\n'  # 2: fine
    "\n"  # 3: blank
    'A2,Ann,"two\nlines",K,Won,2017-01-02,2017-02-01,3 x 100\n'  # 4-5: a quoted line break
    "\n\n"  # 6-7: blank
    "A3,Ann,X,K,Won,2017-01-02,2017-02-01,1.234,56\n"  # 8: a European amount, unquoted: a field too many
    'A4,Ann,X,K,Won,2017-01-02,2017-02-01,"1.234,56"\n'  # 9: quoted, under the default separators
    "A5,Ann,X,K,Won,2017-01-02,2017-02-01,12,5\n"  # 10: a field too many
    "A6,Ann,X,K,Won,2017-01-02,2017-02-01,(500)\n"  # 11: negative
    "A7,Ann,X,K,Won,2017-01-02,2017-02-01,\u2212500\n"  # 12: negative with a minus sign
    "A8,Ann,X,K,Won,2017-01-02,2017-02-01,0x10\n"  # 13
    "A9,Ann,X,K,Won,2017-01-02,2017-02-01,1e400\n"  # 14
    "A10,Ann,X,K,Won,2017,2017-02-01,10\n"  # 15: a bare year
    "A11,Ann,X,K,Won,2017-01-02,2099-12-31,10\n"  # 16: closed in the future
    "A12,Ann,X,K,Engaging,2099-01-02,,\n"  # 17: created in the future
    "A13,Ann,X,K,Won,1500-01-02,2017-02-01,10\n"  # 18: before pandas' first year
    "A14,Ann,X,K,Won,2017-01-02,3000-01-01,10\n"  # 19: after its last
    "A15,Ann,X,K,Won,1990-01-02,2017-02-01,10\n"  # 20: a cycle of 27 years
    "A16,Ann,X,K,Won,2017-01-02T10:00+01:00,2017-07-02T10:00+02:00,10\n"  # 21: offsets, read as local days
    "A17,None,X,NA,Won,2017-01-02,2017-02-01,n/a\n"  # 22: names kept; n/a is not a number
    "A18,None,X,NA,Lost,2017-01-02,2017-02-01,0\n"  # 23: fine
)
EXPECTED = [
    (4, "close_value", "unparseable value"),
    (8, "", "more fields than the header"),
    (9, "close_value", "unparseable value"),
    (10, "", "more fields than the header"),
    (11, "close_value", "negative value"),
    (12, "close_value", "negative value"),
    (13, "close_value", "unparseable value"),
    (14, "close_value", "unparseable value"),
    (15, "engage_date", "unparseable date"),
    (16, "close_date", "date after the as-of date"),
    (17, "engage_date", "date after the as-of date"),
    (18, "engage_date", "unparseable date"),
    (19, "close_date", "unparseable date"),
    (20, "close_date", "closed too long after created"),
    (22, "close_value", "unparseable value"),
]


def test_hostile_export_rejects_each_bad_row_at_its_true_line_with_the_reason(tmp_path, capsys):
    path = _export(tmp_path / "crm", HOSTILE)
    assert main(["diagnose", str(path), "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    skipped = pd.read_csv(tmp_path / "out" / "skipped_rows.csv", keep_default_na=False)
    assert list(skipped[["row", "column", "problem"]].itertuples(index=False, name=None)) == EXPECTED
    assert "Read 18 rows; used 3; skipped 15." in out  # records, not lines: 23 lines hold a header and 18
    assert "line 4: close_value: unparseable value ('3 x 100' is not a number" in out
    assert "line 15: engage_date: unparseable date ('2017' is not an ISO date (YYYY-MM-DD))" in out
    details = dict(zip(skipped["row"].astype(str) + skipped["column"], skipped["detail"]))
    assert details["11close_value"] == "'(500)'" and details["12close_value"] == "'\u2212500'"
    assert "outside the years" in details["18engage_date"] and "outside the years" in details["19close_date"]
    assert "several UTC offsets" in out
    summary = json.loads((tmp_path / "out" / "diagnostics.json").read_text())
    assert summary["as_of"].startswith("2017-07-02")  # not 2099


def test_names_that_pandas_took_for_missing_stay_names(tmp_path):
    crm = read_opportunities(_export(tmp_path, HOSTILE), "maven")
    ops = crm.opportunities.set_index("opportunity_id")
    assert list(ops.index) == ["A1", "A16", "A18"]
    assert ops.loc["A18", "rep"] == "None" and ops.loc["A18", "account"] == "NA"
    assert ops.loc["A1", "value"] == 1000.0 and ops.loc["A16", "created"] == pd.Timestamp("2017-01-02 10:00")


def test_the_mapping_names_its_own_missing_values_and_separators(tmp_path):
    path = _export(
        tmp_path,
        "B1,None,X,NA,Won,2017-01-02,2017-02-01,n/a\n"
        'B2,Bo,X,K,Won,2017-01-02,2017-02-01,"1.234,56"\n'
        'B3,Bo,X,K,Won,2017-01-02,2017-02-01,"12,5"\n',
    )
    mapping = tmp_path / "m.yaml"
    mapping.write_text(PRESET_MAVEN + 'na_values: [n/a]\ndecimal: ","\nthousands: "."\n', encoding="utf-8")
    crm = read_opportunities(path, mapping)
    assert crm.report.skipped.empty
    ops = crm.opportunities.set_index("opportunity_id")
    assert pd.isna(ops.loc["B1", "value"]) and ops.loc["B2", "value"] == 1234.56 and ops.loc["B3", "value"] == 12.5
    assert ops.loc["B1", "rep"] == "None" and ops.loc["B1", "account"] == "NA"


PRESET_MAVEN = (
    "name: mine\n"
    "columns: {opportunity_id: opportunity_id, rep: sales_agent, product: product, account: account,\n"
    "          stage: deal_stage, created: engage_date, closed: close_date, value: close_value}\n"
    "stages: [Prospecting, Engaging, Won]\n"
    "won: [Won]\n"
    "lost: [Lost]\n"
)


@pytest.mark.parametrize(
    "extra, line, message",
    [
        ("date_format: '%Q'\n", 7, "date_format: '%Q' is not a date format (bad directive)"),
        ("date_format: '%Y'\n", 7, "date_format: '%Y' does not give a year, month and day"),
        ("thousands: '.'\ndecimal: '.'\n", 7, "thousands: is the same as the decimal separator '.'"),
        ("decimal: ';'\n", 7, "decimal:"),
    ],
)
def test_a_bad_mapping_fails_before_reading_with_file_line_and_field(tmp_path, capsys, extra, line, message):
    path = _export(tmp_path, HOSTILE)
    mapping = tmp_path / "m.yaml"
    mapping.write_text(PRESET_MAVEN + extra, encoding="utf-8")
    for command in (
        ["diagnose", str(path), "--mapping", str(mapping), "--out", str(tmp_path / "d")],
        ["calibrate", str(path), "--mapping", str(mapping), "--out", str(tmp_path / "s.yaml")],
    ):
        assert main(command) == 2
        err = capsys.readouterr().err
        assert f"{mapping}:{line}: {message}" in err and "Traceback" not in err


def test_broken_files_fail_with_the_line_of_the_problem(tmp_path, capsys):
    header_twice = _export(tmp_path / "a", "")
    header_twice.write_text("\n\nid,id,x\n1,2,3\n", encoding="utf-8")
    assert main(["tiers", str(header_twice), "--out", str(tmp_path / "t")]) == 2
    assert f"{header_twice}:3: the header names 'id' more than once" in capsys.readouterr().err
    huge = _export(
        tmp_path / "b",
        f'A1,Ann,X,K,Won,2017-01-02,2017-02-01,1\nA2,Ann,"{"x" * 200_000}",K,Won,2017-01-02,2017-02-01,1\n',
    )
    assert main(["tiers", str(huge), "--out", str(tmp_path / "t")]) == 2
    err = capsys.readouterr().err
    assert f"{huge}:3: cannot read the file (field larger than field limit" in err and "Traceback" not in err


def test_a_far_future_close_neither_moves_the_as_of_date_nor_blows_up_the_forecast(tmp_path, capsys):
    folder = tmp_path / "crm"
    folder.mkdir()
    shutil.copy(MAVEN / "sales_teams.csv", folder / "sales_teams.csv")
    lines = (MAVEN / "sales_pipeline.csv").read_text(encoding="utf-8").splitlines()
    lines += [
        "Z1,Moses Frase,GTX Plus Basic,Cancity,Won,2016-10-20,2099-12-31,1054",  # line 8802
        "Z2,Moses Frase,GTX Plus Basic,Cancity,Won,1990-10-20,2017-03-01,1054",  # line 8803
        "Z3,Moses Frase,GTX Plus Basic,Cancity,Engaging,2099-01-01,,",
    ]  # line 8804
    path = folder / "sales_pipeline.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["forecast", str(path), "--replications", "20", "--out", str(tmp_path / "f")]) == 0
    out = capsys.readouterr().out
    assert "line 8802: close_date: date after the as-of date" in out
    assert "line 8803: close_date: closed too long after created" in out
    assert "line 8804: engage_date: date after the as-of date" in out
    forecast = json.loads((tmp_path / "f" / "forecast.json").read_text())
    assert forecast["from"] == "2018-01-01"


def test_excel_rows_are_numbered_as_the_sheet_numbers_them(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER.split(","))  # row 1
    sheet.append(["A1", "None", "X", "NA", "Won", "2017-01-02", "2017-02-01", 1234.5])  # row 2: numbers stay numbers
    sheet.append([])  # row 3: blank
    sheet.append([None] * 8)  # row 4: blank
    sheet.append(["A2", "Bo", "X", "K", "Won", "2017-01-02", "2017-02-01", "3 x 100"])  # row 5
    sheet.append(["A3", "Bo", "X", "K", "Won", pd.Timestamp("2017-01-03").to_pydatetime(), "2099-01-01", 1])  # row 6
    path = tmp_path / "deals.xlsx"
    book.save(path)
    mapping = dict(
        name="x",
        columns={
            "opportunity_id": "opportunity_id",
            "rep": "sales_agent",
            "account": "account",
            "stage": "deal_stage",
            "created": "engage_date",
            "closed": "close_date",
            "value": "close_value",
        },
        stages=["Engaging", "Won"],
        won=["Won"],
        lost=["Lost"],
        decimal=",",
        thousands=".",
    )
    crm = read_opportunities(path, mapping)
    assert list(crm.report.skipped[["row", "problem"]].itertuples(index=False, name=None)) == [
        (5, "unparseable value"),
        (6, "date after the as-of date"),
    ]
    first = crm.opportunities.iloc[0]
    assert (first["rep"], first["account"], first["value"]) == ("None", "NA", 1234.5)


def _hostile_names(folder: Path) -> Path:
    """Maven's export with reps, products and accounts named like formulas (every row of theirs)."""
    folder.mkdir(parents=True, exist_ok=True)
    names = {
        "Moses Frase": '=HYPERLINK("http://evil","x")',
        "Darcel Schlecht": "+cmd|' /C calc'!A0",
        "GTX Plus Basic": "@SUM(1+1)*cmd|' /C calc'!A0",
        "Cancity": "-2+3+cmd|' /C calc'!A0",
        "Isdom": "=1+2",
    }
    for name in ("sales_pipeline.csv", "sales_teams.csv"):
        table = pd.read_csv(MAVEN / name, dtype=str, keep_default_na=False).replace(names)
        table.to_csv(folder / name, index=False)
    return folder / "sales_pipeline.csv"


def _cells(folder: Path) -> list[str]:
    cells = []
    for path in sorted(folder.glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as stream:
            cells += [cell for row in csv.reader(stream) for cell in row]
    return cells


def _unsafe(cells: list[str]) -> list[str]:
    return [c for c in cells if c.startswith(FORMULA_START) and not PLAIN_NUMBER.fullmatch(c)]


def test_every_csv_cell_a_spreadsheet_would_run_is_escaped(tmp_path):
    path = _hostile_names(tmp_path / "crm")
    assert main(["diagnose", str(path), "--out", str(tmp_path / "diagnose")]) == 0
    assert main(["tiers", str(path), "--out", str(tmp_path / "tiers")]) == 0
    assert (
        main(["calibrate", str(path), "--out", str(tmp_path / "s.yaml"), "--report", str(tmp_path / "calibrate")]) == 0
    )
    scenario = (ROOT / "playbooks" / "b2b_saas.yaml").read_text(encoding="utf-8")
    evil = tmp_path / "evil.yaml"
    evil.write_text(re.sub(r"\binbound\b", '"=HYPERLINK(1)"', scenario), encoding="utf-8")
    assert main(["plan", str(evil), "--replications", "2", "--out", str(tmp_path / "plan")]) == 0
    for folder, written in (
        ("diagnose", "'=HYPERLINK"),
        ("tiers", "'-2+3"),
        ("calibrate", "'@SUM"),
        ("plan", "'=HYPERLINK(1)"),
    ):
        cells = _cells(tmp_path / folder)
        assert any(c.startswith(written) for c in cells), folder  # the names did reach the tables, escaped
        assert _unsafe(cells) == [], folder
    assert any(c.startswith("'+cmd") for c in _cells(tmp_path / "diagnose"))


@pytest.mark.parametrize("cell", ["=1+2", "+A1", "-A1", "@SUM(A1)", "\t=1", "\r=1", "-", "+", "-1_000", "-inf", "-0x1"])
def test_the_writer_escapes_every_formula_start_and_leaves_numbers_alone(tmp_path, cell):
    table = pd.DataFrame({cell: [cell, "-12.5", "+3", "1e5"], "n": [-1, 2, -3.5, 0]}, index=[cell, "a", "b", "c"])
    path = write_csv(tmp_path / "t.csv", table, index=True)
    cells = _cells(tmp_path)
    assert _unsafe(cells) == [] and cells.count("'" + cell) == 3  # column name, index label, cell
    assert {"-12.5", "+3", "1e5", "-1.0", "-3.5"} <= set(cells)
    assert path.read_text(encoding="utf-8").count("'") >= 3


def test_invoices_are_read_by_the_same_rules(tmp_path):
    from sim.tiers import read_invoices

    path = tmp_path / "invoices.csv"
    path.write_text(
        "invoice_id,customer,amount,issued,paid\n"
        "\n"  # line 2: blank
        '1,None,"1,000",2017-12-20,\n'  # line 3: a customer named None
        '2,"N\nA",(50),2017-10-01,\n'  # lines 4-5: negative
        "3,NA,1e400,2017-10-01,\n"  # line 6
        "4,NA,10,2017,\n"  # line 7: a bare year
        "5,NA,10,2017-10-01,2017-09-01\n",
        encoding="utf-8",
    )  # line 8
    invoices, skipped = read_invoices(path)
    assert list(skipped[["row", "problem"]].itertuples(index=False, name=None)) == [
        (4, "negative amount"),
        (6, "unparseable amount"),
        (7, "unparseable date"),
        (8, "paid before issued"),
    ]
    assert invoices[["customer", "amount"]].values.tolist() == [["None", 1000.0]]


def test_a_given_as_of_date_bounds_the_export_and_becomes_its_today(tmp_path):
    path = _export(
        tmp_path,
        "C1,Ann,X,K,Won,2017-01-02,2017-02-01,10\n"
        "C2,Ann,X,K,Won,2017-01-02,2017-03-02,10\n"  # line 3: closed after the as-of date
        "C3,Ann,X,K,Engaging,2017-03-01,,\n",
    )  # line 4: created after it
    crm = read_opportunities(path, "maven", as_of="2017-02-28")
    assert list(crm.report.skipped[["row", "column"]].itertuples(index=False, name=None)) == [
        (3, "close_date"),
        (4, "engage_date"),
    ]
    assert crm.as_of == pd.Timestamp("2017-02-28") and crm.opportunities["opportunity_id"].tolist() == ["C1"]
