"""Reports: HTML with embedded charts, Excel with text cells escaped against formula injection."""

from __future__ import annotations

import base64
import re

import openpyxl
import pandas as pd
import pytest

import sim
from sim.cli import main
from sim.experiments import Strategy, compare, load_sweep, sweep
from sim.report import write_report
from sim.spreadsheet import escape_cell, escape_frame

from .conftest import ROOT

B2B = sim.load(ROOT / "playbooks" / "b2b_saas.yaml").model_copy(update={"horizon_days": 45})


@pytest.mark.parametrize("text", ['=HYPERLINK("http://x")', "+A1", "-2+3", "@SUM(A1)", "\tx", "\r=1"])
def test_text_that_looks_like_a_formula_is_escaped(text):
    assert escape_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["inbound", "a=b", "", 3.5, -2, None, "-2", "+1.5"])
def test_other_cells_are_left_alone(value):
    assert escape_cell(value) == value


def test_escape_frame_covers_cells_and_column_names():
    table = escape_frame(pd.DataFrame({"=x": ["@a", "b"], "n": [-1, 2]}))
    assert list(table.columns) == ["'=x", "n"] and table["'=x"].tolist() == ["'@a", "b"]
    assert table["n"].tolist() == [-1, 2]


@pytest.fixture(scope="module")
def comparison_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("cmp")
    evil = Strategy.from_overrides('=HYPERLINK("http://evil")', B2B, {"teams.sdr.headcount": 6})
    compare([Strategy("base", B2B), evil], replications=3, seed=1, progress=False).save(out)
    return out


def test_excel_report_of_a_comparison_escapes_strategy_names(comparison_dir, tmp_path):
    path = write_report(comparison_dir, tmp_path / "report.xlsx")
    book = openpyxl.load_workbook(path)
    cells = [c.value for row in book["strategies"].iter_rows() for c in row]
    assert '\'=HYPERLINK("http://evil")' in cells
    assert not any(
        isinstance(v, str) and v.startswith("=")
        for ws in book
        for row in ws.iter_rows()
        for v in (c.value for c in row)
    )
    assert "differences" in book.sheetnames


def test_html_report_of_a_comparison_embeds_its_charts(comparison_dir, tmp_path):
    assert main(["report", str(comparison_dir), "--out", str(tmp_path / "r.html")]) == 0
    text = (tmp_path / "r.html").read_text()
    images = re.findall(r"data:image/png;base64,([A-Za-z0-9+/=]+)", text)
    assert len(images) == 3 and all(
        base64.b64decode(i).startswith(b"\x89PNG") for i in images
    )  # profit, revenue, difference
    assert '=HYPERLINK("http://evil")' in text  # shown as text: HTML runs no formulas


def test_html_escapes_markup_in_names():
    from sim.report import Report, to_html

    text = to_html(Report("<b>t</b>", "run", {"<i>": pd.DataFrame({"name": ["<script>x</script>"]})}))
    assert "<script>" not in text and "&lt;script&gt;" in text and "<b>t" not in text


def test_reports_of_a_sweep_and_of_a_run(tmp_path):
    spec = tmp_path / "s.yaml"
    spec.write_text(
        f"scenario: {ROOT / 'playbooks' / 'b2b_saas.yaml'}\n"
        "parameters: {teams.solutions.headcount: [9, 13], channels.inbound.leads_per_day: [20, 40]}\n"
        "replications: 2\noverrides: {horizon_days: 45}\n"
    )
    sweep(load_sweep(spec), tmp_path / "sw", progress=False)
    text = write_report(tmp_path / "sw", tmp_path / "sw.html").read_text()
    assert "tornado" in text and text.count("data:image/png") == 2
    assert "sensitivity of profit" in text  # the default objective
    text = write_report(tmp_path / "sw", tmp_path / "sw.html", objective="p_target").read_text()
    assert "sensitivity of profit" in text  # no target reachable in 45 days: P(target) says nothing, profit does
    text = write_report(tmp_path / "sw", tmp_path / "sw.html", objective="revenue").read_text()
    assert "sensitivity of revenue" in text
    sim.simulate(B2B, replications=2, seed=1, detail=False).save(tmp_path / "run")
    page = write_report(tmp_path / "run", tmp_path / "run.html").read_text()
    assert "data:image/png" in page
    assert re.search(r"probability of reaching it \(95% interval\)</td>\s*<td>\d+% \(\d+–\d+%\)", page), page[-800:]
    assert "headline" in openpyxl.load_workbook(write_report(tmp_path / "run", tmp_path / "run.xlsx")).sheetnames


def test_unknown_report_format_is_bad_input(comparison_dir, tmp_path, capsys):
    assert main(["report", str(comparison_dir), "--out", str(tmp_path / "r.pdf")]) == 2
    assert "must end in .html or .xlsx" in capsys.readouterr().err
