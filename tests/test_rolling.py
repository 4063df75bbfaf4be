"""Rolling-origin backtests: cut-off ranges, methods side by side, calibrated ranges, the CLI."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from sim.cli import main
from sim.rolling import cutoff_range
from tests.conftest import MAVEN

PIPELINE = MAVEN / "sales_pipeline.csv"


def test_cutoff_ranges_step_by_month_ends_or_weeks():
    assert cutoff_range("2017-05-31:2017-09-30:monthly") == list(pd.to_datetime(
        ["2017-05-31", "2017-06-30", "2017-07-31", "2017-08-31", "2017-09-30"]))
    assert cutoff_range("2017-05-15:2017-07-14:monthly") == list(pd.to_datetime(["2017-05-15", "2017-06-15"]))
    assert cutoff_range("2017-06-01:2017-06-15:weekly") == list(pd.to_datetime(["2017-06-01", "2017-06-08", "2017-06-15"]))
    assert cutoff_range("2017-06-01:2017-06-01:Weekly") == [pd.Timestamp("2017-06-01")]


@pytest.mark.parametrize("spec, message", [
    ("2017-05-31:2017-09-30", "is not START:END:STEP"),
    ("2017-05-31:2017-13-30:monthly", "'2017-13-30' is not a date"),
    ("2017-05-31:2017-09-30:daily", "'daily' is not a step (monthly, weekly)"),
    ("2017-09-30:2017-05-31:monthly", "the range ends (2017-05-31) before it starts (2017-09-30)"),
])
def test_a_bad_cutoff_range_is_one_message(spec, message):
    with pytest.raises(ValueError) as error:
        cutoff_range(spec)
    assert message in str(error.value)


def test_cli_a_bad_cutoff_range_exits_2_with_one_message(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["backtest", str(PIPELINE), "--cutoffs", "2017-05-31:2017-09-30:daily", "--out", str(tmp_path / "b")])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and "argument --cutoffs:" in err and "'daily' is not a step" in err
    assert "Traceback" not in err
    assert main(["backtest", str(PIPELINE), "--out", str(tmp_path / "b")]) == 2
    assert "give at least one --cutoff" in capsys.readouterr().err
