"""The CRM reader: presets on the shipped data, bad rows listed by line, mappings validated with lines."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.crm import PRESETS, load_mapping, read_opportunities
from sim.errors import ScenarioError
from tests.conftest import MAVEN, OLIST, needs_olist


@pytest.fixture(scope="module")
def maven():
    return read_opportunities(MAVEN / "sales_pipeline.csv", "maven")


def test_maven_preset_reads_every_row_with_the_published_counts(maven):
    ops = maven.opportunities
    assert maven.report.rows_read == maven.report.rows_used == 8800
    assert maven.report.skipped.empty
    assert ops["status"].value_counts().to_dict() == {"won": 4238, "lost": 2473, "open": 2089}
    assert maven.stages == ("Prospecting", "Engaging", "Won")
    assert ops["stage"].cat.ordered and list(ops["stage"].cat.categories) == list(maven.stages)
    # lost deals reached Engaging; open ones are where the file says
    assert (ops.loc[ops.status == "lost", "stage"] == "Engaging").all()
    assert ops.loc[ops.status == "open", "stage"].astype(str).value_counts().to_dict() == {
        "Engaging": 1589,
        "Prospecting": 500,
    }
    assert ops["opportunity_id"].is_unique


def test_maven_joins_teams_and_fixes_the_product_spelling(maven):
    ops = maven.opportunities
    assert set(ops["region"].dropna()) == {"Central", "East", "West"}
    assert ops["team"].nunique() == 6 and ops["team"].notna().all()
    assert "GTXPro" not in set(ops["product"]) and (ops["product"] == "GTX Pro").sum() == 1480
    for col in ("rep", "team", "region", "account", "product", "channel"):
        assert ops[col].dtype == "string"
    assert ops["channel"].isna().all()


def test_maven_dates_and_values_are_typed_and_consistent(maven):
    ops = maven.opportunities
    assert ops["created"].dtype == "datetime64[ns]" and ops["closed"].dtype == "datetime64[ns]"
    closed = ops[ops.status != "open"]
    assert closed["closed"].notna().all() and (closed["closed"] >= closed["created"]).all()
    assert ops.loc[ops.status == "open", "closed"].isna().all()
    assert ops.loc[ops.status == "open", "value"].isna().all()
    assert (ops.loc[ops.status == "lost", "value"] == 0).all()
    assert ops.loc[ops.status == "won", "value"].sum() == pytest.approx(10_005_534)
    assert maven.as_of == pd.Timestamp("2017-12-31")
    assert any("500 open" in n for n in maven.report.notes)


def _broken_copy(tmp_path: Path) -> Path:
    """The Maven files with five known bad rows; returns the pipeline path."""
    for f in ("sales_pipeline.csv", "sales_teams.csv"):
        shutil.copy(MAVEN / f, tmp_path / f)
    lines = (tmp_path / "sales_pipeline.csv").read_text(encoding="utf-8").splitlines()
    fields = [line.split(",") for line in lines]
    # line numbers are 1-based in the file, header = line 1, so fields[k] is line k + 1
    fields[1][5] = "2016-13-45"  # line 2: engage date impossible
    fields[2][6] = "2016-01-01"  # line 3: closed before engaged
    fields[3][7] = "-50"  # line 4: negative value
    fields[4][4] = "Negotiating"  # line 5: unknown stage
    fields.append(fields[6][:])  # line 8801 + 1: repeats line 7's id
    (tmp_path / "sales_pipeline.csv").write_text("\n".join(",".join(f) for f in fields) + "\n", encoding="utf-8")
    return tmp_path / "sales_pipeline.csv"


EXPECTED_BAD = [
    (2, "engage_date", "unparseable date"),
    (3, "close_date", "closed before created"),
    (4, "close_value", "negative value"),
    (5, "deal_stage", "unknown stage"),
    (8802, "opportunity_id", "duplicate id"),
]


def test_bad_rows_are_listed_by_line_never_dropped_silently(tmp_path):
    crm = read_opportunities(_broken_copy(tmp_path), "maven")
    report = crm.report
    assert list(report.skipped[["row", "column", "problem"]].itertuples(index=False, name=None)) == EXPECTED_BAD
    assert report.rows_read == 8801 and report.rows_used == 8801 - 5
    assert report.counts.to_dict() == {p: 1 for _, _, p in EXPECTED_BAD}
    text = str(report)
    assert "Read 8,801 rows; used 8,796; skipped 5." in text and "line 5: deal_stage: unknown stage" in text
    assert len(crm.opportunities) == 8796


def test_excel_export_gives_the_same_rows_and_line_numbers(tmp_path):
    path = _broken_copy(tmp_path)
    frame = pd.read_csv(path, dtype=str)
    xlsx = tmp_path / "sales_pipeline.xlsx"
    frame.to_excel(xlsx, index=False)
    crm = read_opportunities(xlsx, "maven")
    assert list(crm.report.skipped[["row", "column", "problem"]].itertuples(index=False, name=None)) == EXPECTED_BAD
    assert crm.opportunities["team"].notna().all()  # sales_teams.csv found next to it


def test_missing_look_up_file_leaves_fields_empty_with_a_note(tmp_path):
    shutil.copy(MAVEN / "sales_pipeline.csv", tmp_path / "sales_pipeline.csv")
    crm = read_opportunities(tmp_path, "maven")  # a folder: the preset names the main file
    assert crm.opportunities["team"].isna().all()
    assert any("sales_teams.csv not read" in n for n in crm.report.notes)


def test_missing_column_and_file_raise_clear_errors(tmp_path):
    (tmp_path / "x.csv").write_text("opportunity_id,deal_stage\nA,Won\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        read_opportunities(tmp_path / "x.csv", "maven")
    assert "column 'engage_date' is not in the file" in str(err.value)
    with pytest.raises(ScenarioError, match="file not found"):
        read_opportunities(tmp_path / "nope.csv", "maven")
    with pytest.raises(ScenarioError, match="neither a preset"):
        read_opportunities(tmp_path / "x.csv", "no-such-mapping")


def test_user_mapping_yaml_errors_name_file_and_line(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text(
        "name: mine\ncolumns: {created: C, stage: S}\ncolour: red\nstages: [A, B]\nstage_values: {x: Z}\n",
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError) as err:
        load_mapping(path)
    assert f"{path}:3: colour: unknown field" in str(err.value)
    path.write_text(
        "name: mine\ncolumns: {created: C, stage: S}\nstages: [A, B]\nstage_values: {x: Z}\n", encoding="utf-8"
    )
    with pytest.raises(ScenarioError) as err:
        load_mapping(path)
    assert f"{path}:4: stage_values.x: 'Z' is not one of the stages" in str(err.value)


def test_user_mapping_file_reads_a_custom_export(tmp_path):
    (tmp_path / "deals.csv").write_text(
        "Id,Opened,Shut,Step,Amount,Owner\n"
        '1,31/01/2024,15/02/2024,Signed,"$1,200",Ann\n'
        "2,01/02/2024,,Demo,,Bo\n"
        "3,02/02/2024,20/02/2024,Dead,0,Ann\n"
        "4,03/02/2024,,Pitch,,Bo\n",
        encoding="utf-8",
    )
    (tmp_path / "m.yaml").write_text(
        "name: mine\nfile: deals.csv\n"
        "columns: {opportunity_id: Id, created: Opened, closed: Shut, stage: Step, value: Amount, rep: Owner}\n"
        "stages: [Lead, Demo, Won]\nwon: [Signed]\nlost: [Dead]\nlost_stage: Lead\ndate_format: '%d/%m/%Y'\n",
        encoding="utf-8",
    )
    crm = read_opportunities(tmp_path, tmp_path / "m.yaml")
    ops = crm.opportunities
    assert ops["status"].tolist() == ["won", "open", "lost"]
    assert ops["stage"].astype(str).tolist() == ["Won", "Demo", "Lead"]
    assert ops["value"].iloc[0] == 1200.0
    assert ops["created"].iloc[0] == pd.Timestamp("2024-01-31")
    assert list(crm.report.skipped[["row", "column", "problem"]].itertuples(index=False, name=None)) == [
        (5, "Step", "unknown stage")
    ]


def test_salesforce_preset_reads_us_dates_and_ignores_open_close_dates():
    raw = pd.DataFrame(
        {
            "Opportunity ID": ["006A", "006B", "006C"],
            "Opportunity Owner": ["Ann", "Bo", "Ann"],
            "Owner Role": ["East", "West", "East"],
            "Account Name": ["K", "L", "M"],
            "Stage": ["Closed Won", "Qualification", "Closed Lost"],
            "Created Date": ["1/30/2024", "2/1/2024", "2/2/2024"],
            "Close Date": ["2/15/2024", "3/31/2024", "2/20/2024"],
            "Amount": ["5000", "800", "0"],
            "Lead Source": ["Web", "Partner", None],
            "Product Name": ["P", "P", "Q"],
            "Billing State/Province": ["CA", "NY", "CA"],
        }
    )
    crm = read_opportunities(raw, "salesforce")
    ops = crm.opportunities
    assert ops["status"].tolist() == ["won", "open", "lost"]
    assert ops["closed"].isna().tolist() == [False, True, False]  # an open deal's close date is a guess
    assert ops["stage"].astype(str).tolist() == ["Closed Won", "Qualification", "Negotiation/Review"]
    assert ops["channel"].isna().tolist() == [False, False, True]
    assert set(PRESETS) >= {"maven", "olist", "salesforce", "hubspot"}
    assert load_mapping("hubspot").won_stage == "Closed Won"


@needs_olist
def test_olist_preset_joins_closed_deals_as_wins():
    crm = read_opportunities(OLIST, "olist")
    ops = crm.opportunities
    assert crm.report.rows_read == 8000
    assert crm.stages == ("MQL", "Won")
    assert list(crm.report.skipped[["row", "column", "problem"]].itertuples(index=False, name=None)) == [
        (6359, "olist_closed_deals_dataset.csv:won_date", "closed before created")
    ]
    assert (ops["status"] == "won").sum() == 841
    assert set(ops["status"]) == {"won", "open"}
    assert ops["channel"].notna().mean() > 0.9
    assert ops.loc[ops.status == "won", "rep"].notna().all()


DATES = st.one_of(st.none(), st.sampled_from(["2024-01-05", "2024-02-10", "2024-03-01", "soon", "2024-02-30"]))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["a", "b", "c", "d", None]),
            st.sampled_from(["Prospecting", "Engaging", "Won", "Lost", "Stalled", None]),
            DATES,
            DATES,
            st.sampled_from(["10", "-1", "x", None, "0"]),
        ),
        max_size=12,
    )
)
def test_every_row_is_either_used_or_listed(rows):
    raw = pd.DataFrame(rows, columns=["opportunity_id", "deal_stage", "engage_date", "close_date", "close_value"])
    raw["sales_agent"], raw["product"], raw["account"] = "Ann", "X", "K"
    crm = read_opportunities(raw, "maven")
    skipped_lines = set(crm.report.skipped["row"])
    assert crm.report.rows_read == len(rows)
    assert crm.report.rows_used + len(skipped_lines) == len(rows)
    assert skipped_lines <= set(range(2, len(rows) + 2))
    ops = crm.opportunities
    assert ops["opportunity_id"].is_unique
    closed = ops[ops.status != "open"]
    assert (closed["closed"] >= closed["created"]).all()
    assert not (ops["value"] < 0).any()
    assert ops["stage"].notna().all()
    assert np.isin(ops["status"], ["won", "lost", "open"]).all()


def test_a_gbk_export_with_chinese_stages_reads_with_its_encoding(tmp_path):
    (tmp_path / "商机.csv").write_bytes(
        "编号,创建日期,关闭日期,阶段,金额,销售\n1,2024-01-05,2024-02-01,赢单,5000,张三\n2,2024-01-09,,方案输出,,李四\n".encode(
            "gbk"
        )
    )
    mapping = {
        "name": "cn",
        "encoding": "gbk",
        "columns": {
            "opportunity_id": "编号",
            "created": "创建日期",
            "closed": "关闭日期",
            "stage": "阶段",
            "value": "金额",
            "rep": "销售",
        },
        "stages": ["线索获取", "意向确认", "方案输出", "谈判签约"],
        "won": ["赢单"],
        "lost": ["丢单"],
    }
    crm = read_opportunities(tmp_path / "商机.csv", mapping)
    assert crm.opportunities["status"].tolist() == ["won", "open"]
    assert crm.opportunities["stage"].astype(str).tolist() == ["谈判签约", "方案输出"]
    assert crm.opportunities["rep"].tolist() == ["张三", "李四"]
    with pytest.raises(ScenarioError, match="cannot read the file"):
        read_opportunities(tmp_path / "商机.csv", {**mapping, "encoding": "utf-8"})
