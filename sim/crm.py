"""Read a CRM opportunity export (CSV or Excel) into one canonical table, listing every bad row.

A *mapping* says which column of the export holds which canonical field, how its stage
values map onto an ordered funnel and which values mean won or lost. Presets cover the
two shipped data sets (``maven``, ``olist``) and the usual shape of ``salesforce`` and
``hubspot`` opportunity reports; any other export is described by a YAML file of the
same form (validated; errors name file, line and field)::

    name: my_crm
    file: deals.csv                 # the main table when the source is a folder
    columns: {opportunity_id: Id, created: Created, closed: Closed, stage: Stage,
              value: Amount, rep: Owner, channel: Source}
    stages: [Lead, Demo, Proposal, Won]   # ordered; the last is the won stage
    won: [Closed Won]                     # raw stage values meaning won ...
    lost: [Closed Lost]                   # ... and lost
    stage_values: {Closed Won: Won}       # raw value -> stage, when the names differ
    lost_stage: Proposal                  # furthest stage of a lost deal the export does not tell
    date_format: "%d/%m/%Y"               # default: ISO dates (2024-03-31)
    decimal: ","                          # default: "." ...
    thousands: "."                        # ... and ","; "" for none
    na_values: ["n/a", "-"]               # cells meaning "missing" (default: only empty cells)
    encoding: gbk                         # default: UTF-8
    joins:                                # look-up tables next to the main file
      - {file: owners.csv, by: rep, key: Owner, columns: {team: Manager, region: Office}}

Three optional fields carry what the CRM itself forecasts of an open deal (see
:mod:`sim.crm_forecast`): ``expected_close``, ``forecast_category`` (read by the table
:data:`sim.crm_values.FORECAST_CATEGORIES`) and ``probability`` (0-1, or 0-100 %); a
column mapped to one of them but absent from the file leaves the field empty, with a note.

Numbers and dates are read strictly by :mod:`sim.crm_values`; only empty cells (and the
mapping's ``na_values``) are missing, so a rep named ``None`` or an account ``NA`` keeps
its name. Rows that cannot be used (unparseable dates or amounts, a date after the
export's as-of date, a close before the deal was created or over ten years after it, a
negative value, an unknown stage, a repeated id, a closed deal without dates, more fields
than the header, an open deal's unreadable expected close, an unknown forecast category, a
probability that is not one) are skipped and listed by their line in the file as the CSV reader
counts it (blank lines and quoted line breaks included), with the value and the reason,
never dropped silently.

Examples
--------
>>> import pandas as pd
>>> raw = pd.DataFrame({"opportunity_id": ["a", "b", "c", "a"],
...     "sales_agent": ["Ann", "Bo", "Ann", "Ann"], "product": ["X", "X", "Y", "X"],
...     "account": ["K", None, "L", "K"], "deal_stage": ["Won", "Engaging", "Lost", "Won"],
...     "engage_date": ["2017-01-02", "2017-02-01", "2017-03-05", "2017-01-02"],
...     "close_date": ["2017-02-01", None, "2017-03-01", "2017-02-01"],
...     "close_value": ["1000", None, "0", "1000"]})
>>> crm = read_opportunities(raw, "maven")
>>> crm.opportunities[["opportunity_id", "status", "stage", "value"]]
  opportunity_id status     stage   value
0              a    won       Won  1000.0
1              b   open  Engaging     NaN
>>> crm.report.skipped[["row", "problem", "detail"]]
   row                problem                           detail
0    4  closed before created  2017-03-01 is before 2017-03-05
1    5           duplicate id                              'a'
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Mapping

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from sim.crm_values import check_date_format, read_amounts, read_dates, read_forecast_categories, read_probabilities
from sim.errors import Problem, ScenarioError
from sim.yaml_io import load_model, parse_yaml, validate

__all__ = [
    "CANONICAL_COLUMNS",
    "CrmImport",
    "CrmMapping",
    "ImportReport",
    "Join",
    "PRESETS",
    "Table",
    "load_mapping",
    "read_opportunities",
    "read_table",
]

CanonicalField = Literal[
    "opportunity_id",
    "created",
    "closed",
    "stage",
    "value",
    "rep",
    "team",
    "region",
    "account",
    "product",
    "channel",
    "expected_close",
    "forecast_category",
    "probability",
]
TEXT_FIELDS = ("rep", "team", "region", "account", "product", "channel")
FORECAST_FIELDS = ("expected_close", "forecast_category", "probability")
"""What the CRM itself says of an open deal; optional: a mapped column absent from the file leaves the field empty."""
CANONICAL_COLUMNS = ("opportunity_id", *TEXT_FIELDS, "created", "closed", "status", "stage", "value", *FORECAST_FIELDS)

# The problems a row can have (the ``problem`` column of the report).
UNPARSEABLE_DATE = "unparseable date"
MISSING_DATE = "missing date"
CLOSE_BEFORE_CREATED = "closed before created"
DATE_AFTER_AS_OF = "date after the as-of date"
CYCLE_TOO_LONG = "closed too long after created"
UNPARSEABLE_VALUE = "unparseable value"
WIDE_ROW = "more fields than the header"
NEGATIVE_VALUE = "negative value"
UNKNOWN_STAGE = "unknown stage"
UNKNOWN_CATEGORY = "unknown forecast category"
UNPARSEABLE_PROBABILITY = "unparseable probability"
MISSING_ID = "missing id"
DUPLICATE_ID = "duplicate id"

MAX_CYCLE_DAYS = 3653
"""The longest time from created to closed believed (ten years): a longer one is taken for a
mistyped year, which would also make the forecast's table of deal ages (quadratic in the
longest cycle) too large to hold."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Join(_Model):
    """A look-up table next to the main file, joined on one of the main table's fields."""

    file: str = Field(min_length=1, description="File name, relative to the main file's folder.")
    by: CanonicalField = Field(description="Canonical field of the main table to join by (e.g. `rep`).")
    key: str | None = Field(
        None, description="Column of the joined file holding that field. Default: the main table's column."
    )
    columns: dict[CanonicalField, str] = Field(description="Canonical field -> column of the joined file.")
    required: bool = Field(False, description="Fail when the file is absent (else the fields stay empty, with a note).")


class CrmMapping(_Model):
    """How an export's columns and stage values map onto the canonical opportunity table."""

    name: str = Field(min_length=1, description="Name of the mapping, shown in reports.")
    description: str = Field("", description="What export this mapping reads.")
    file: str | None = Field(None, description="Main table's file name, used when the source is a folder.")
    sheet: str | int | None = Field(None, description="Excel sheet (name or 0-based index). Default: the first.")
    encoding: str = Field("utf-8-sig", description="Text encoding of CSV files (e.g. `gbk`, `cp1252`).")
    columns: dict[CanonicalField, str] = Field(description="Canonical field -> column of the main table.")
    stages: tuple[str, ...] = Field(min_length=1, description="Funnel stages in order; the last is the won stage.")
    stage_values: dict[str, str] = Field({}, description="Raw stage value -> stage name, when they differ.")
    won: tuple[str, ...] = Field((), description="Raw stage values that mean the deal was won.")
    lost: tuple[str, ...] = Field((), description="Raw stage values that mean the deal was lost.")
    won_when_closed: bool = Field(False, description="No stage column: a close date means won, none means open.")
    lost_stage: str | None = Field(None, description="Furthest stage of a lost deal. Default: the stage before won.")
    recode: dict[CanonicalField, dict[str, str]] = Field({}, description="Fix spellings: field -> {raw: value}.")
    date_format: str | None = Field(None, description="strftime format of the dates. Default: ISO 8601.")
    decimal: Literal[".", ","] = Field(".", description="Decimal separator of amounts.")
    thousands: Literal[",", ".", " ", "\u00a0", "\u202f", "'", ""] = Field(
        ",", description='Thousands separator of amounts ("" for none; spaces, no-break spaces and `\'` allowed).'
    )
    na_values: tuple[str, ...] = Field(
        (), description="Cell texts meaning missing, besides an empty cell (e.g. `n/a`)."
    )
    joins: tuple[Join, ...] = Field((), description="Look-up tables joined to the main table.")

    @model_validator(mode="after")
    def _consistent(self) -> "CrmMapping":
        problems = []
        for required in ("created",):
            if required not in self.columns and not any(required in j.columns for j in self.joins):
                problems.append(Problem("columns", f"needs a column for '{required}'"))
        has_stage = "stage" in self.columns or any("stage" in j.columns for j in self.joins)
        if not has_stage and not self.won_when_closed:
            problems.append(Problem("columns", "needs a 'stage' column (or won_when_closed: true)"))
        for raw, stage in self.stage_values.items():
            if stage not in self.stages:
                problems.append(Problem(f"stage_values.{raw}", f"'{stage}' is not one of the stages"))
        if self.lost_stage is not None and self.lost_stage not in self.stages:
            problems.append(Problem("lost_stage", f"'{self.lost_stage}' is not one of the stages"))
        if len(set(self.stages)) != len(self.stages):
            problems.append(Problem("stages", "a stage is named twice"))
        if self.date_format is not None and (why := check_date_format(self.date_format)):
            problems.append(Problem("date_format", why))
        if self.decimal == self.thousands:
            problems.append(Problem("thousands", f"is the same as the decimal separator '{self.decimal}'"))
        if problems:
            raise ScenarioError(problems)
        return self

    @property
    def won_stage(self) -> str:
        """The last stage: reached by won deals."""
        return self.stages[-1]

    @property
    def default_lost_stage(self) -> str:
        """Where a lost deal is counted when the export does not say."""
        return self.lost_stage or (self.stages[-2] if len(self.stages) > 1 else self.stages[0])


PRESETS: dict[str, str] = {
    "maven": """
name: maven
description: Maven Analytics CRM Sales Opportunities (sales_pipeline.csv with sales_teams.csv).
file: sales_pipeline.csv
columns: {opportunity_id: opportunity_id, rep: sales_agent, product: product, account: account,
          stage: deal_stage, created: engage_date, closed: close_date, value: close_value}
stages: [Prospecting, Engaging, Won]
won: [Won]
lost: [Lost]
lost_stage: Engaging
recode: {product: {GTXPro: GTX Pro}}
joins:
  - {file: sales_teams.csv, by: rep, key: sales_agent, columns: {team: manager, region: regional_office}}
""",
    "olist": """
name: olist
description: Olist marketing funnel (marketing-qualified leads, won when they appear in closed deals).
file: olist_marketing_qualified_leads_dataset.csv
columns: {opportunity_id: mql_id, created: first_contact_date, channel: origin}
stages: [MQL, Won]
won_when_closed: true
joins:
  - {file: olist_closed_deals_dataset.csv, by: opportunity_id, key: mql_id, required: true,
     columns: {closed: won_date, rep: sr_id, team: sdr_id, product: business_segment}}
""",
    "salesforce": """
name: salesforce
description: A Salesforce "Opportunities" report exported as CSV with US dates (standard sales process).
columns: {opportunity_id: Opportunity ID, rep: Opportunity Owner, team: Owner Role, account: Account Name,
          stage: Stage, created: Created Date, closed: Close Date, value: Amount, channel: Lead Source,
          product: Product Name, region: Billing State/Province,
          expected_close: Close Date, forecast_category: Forecast Category, probability: Probability (%)}
stages: [Prospecting, Qualification, Needs Analysis, Value Proposition, Id. Decision Makers,
         Perception Analysis, Proposal/Price Quote, Negotiation/Review, Closed Won]
won: [Closed Won]
lost: [Closed Lost]
date_format: "%m/%d/%Y"
""",
    "hubspot": """
name: hubspot
description: A HubSpot deals export (default sales pipeline) as CSV.
columns: {opportunity_id: Record ID, rep: Deal owner, team: Team, account: Associated Company,
          stage: Deal Stage, created: Create Date, closed: Close Date, value: Amount,
          channel: Original Source Type, product: Deal Type,
          expected_close: Close Date, forecast_category: Forecast category, probability: Deal probability}
stages: [Appointment Scheduled, Qualified To Buy, Presentation Scheduled, Decision Maker Bought-In,
         Contract Sent, Closed Won]
won: [Closed Won]
lost: [Closed Lost]
""",
}


def load_mapping(mapping: str | Path | Mapping | CrmMapping) -> CrmMapping:
    """A mapping by preset name, YAML file, dict or model; raise :class:`ScenarioError` if invalid.

    >>> load_mapping("maven").stages
    ('Prospecting', 'Engaging', 'Won')
    >>> load_mapping({"name": "x", "columns": {"created": "c"}, "stages": ["A"], "colour": 1})
    Traceback (most recent call last):
    ...
    sim.errors.ScenarioError: <mapping>: colour: unknown field (did you mean 'columns'?)
    """
    if isinstance(mapping, CrmMapping):
        return mapping
    if isinstance(mapping, Mapping):
        return validate(CrmMapping, dict(mapping), "<mapping>", {})
    if isinstance(mapping, str) and mapping in PRESETS:
        data, lines = parse_yaml(PRESETS[mapping], f"<preset {mapping}>")
        return validate(CrmMapping, data, f"<preset {mapping}>", lines)
    path = Path(mapping)
    if not path.is_file():
        known = ", ".join(PRESETS)
        raise ScenarioError([Problem("", f"is neither a preset ({known}) nor a mapping file", file=str(mapping))])
    return load_model(CrmMapping, path)


@dataclass(frozen=True)
class ImportReport:
    """What an import read, used and skipped (one line per problem, by line number in the file)."""

    rows_read: int
    rows_used: int
    skipped: pd.DataFrame
    notes: tuple[str, ...] = ()

    @property
    def counts(self) -> pd.Series:
        """Number of problems of each kind, largest first."""
        return self.skipped["problem"].value_counts().rename("rows")

    def __str__(self) -> str:
        rows_skipped = self.rows_read - self.rows_used
        lines = [f"Read {self.rows_read:,} rows; used {self.rows_used:,}; skipped {rows_skipped:,}."]
        for problem, n in self.counts.items():
            lines.append(f"  {problem}: {n:,}")
        if len(self.skipped):
            shown = self.skipped.head(10)
            lines.append("First skipped rows (line in the file, column, problem, detail):")
            lines += [
                f"  line {r.row}: "
                + (f"{r.column}: " if r.column else "")
                + r.problem
                + (f" ({r.detail})" if r.detail else "")
                for r in shown.itertuples()
            ]
            if len(self.skipped) > len(shown):
                lines.append(f"  ... and {len(self.skipped) - len(shown):,} more")
        lines += [f"Note: {n}" for n in self.notes]
        return "\n".join(lines)


@dataclass(frozen=True)
class CrmImport:
    """The canonical opportunities, the import report, and the ordered stage names."""

    opportunities: pd.DataFrame
    report: ImportReport
    stages: tuple[str, ...]
    mapping: CrmMapping | None = field(default=None, compare=False, repr=False)
    known_on: pd.Timestamp | None = None

    @property
    def as_of(self) -> pd.Timestamp:
        """The export's "today": the date it is known on, else the last date seen in the data."""
        if self.known_on is not None:
            return self.known_on
        dates = pd.concat([self.opportunities["created"], self.opportunities["closed"]])
        return dates.max()

    def as_known_on(self, date: Any) -> "CrmImport":
        """The export as it would have read on ``date``: deals created by then, later closes still open.

        A deal won later is put at the stage before the won stage, with its expected close,
        forecast category and probability emptied (the export holds only their last values);
        undated deals are left out (nobody can tell whether they existed on ``date``).

        >>> crm = read_opportunities("data/maven_crm/sales_pipeline.csv")
        >>> then = crm.as_known_on("2017-06-30")
        >>> then.as_of.date(), int((then.opportunities.status == "open").sum())
        (datetime.date(2017, 6, 30), 1686)
        """
        day = pd.Timestamp(date).normalize()
        next_day = day + pd.Timedelta(days=1)
        ops = self.opportunities
        out = ops[ops["created"].notna() & (ops["created"] < next_day)].copy()
        later = (out["closed"] >= next_day).to_numpy()
        if self.stages and len(self.stages) > 1:
            won_later = later & (out["status"] == "won").to_numpy()
            out.loc[won_later, "stage"] = self.stages[-2]
        out.loc[later, "status"] = "open"
        out.loc[later, "closed"] = pd.NaT
        out.loc[later, "value"] = np.nan
        # what the CRM forecast of them then is not in the export (its close date is now the actual one)
        out.loc[later, "expected_close"] = pd.NaT
        out.loc[later, "forecast_category"] = pd.NA
        out.loc[later, "probability"] = np.nan
        out = out.reset_index(drop=True)
        left_out = len(ops) - len(out)
        notes = (*self.report.notes, f"as known on {day.date()}: {left_out:,} deals created later or undated left out")
        report = ImportReport(self.report.rows_read, len(out), self.report.skipped, notes)
        return CrmImport(out, report, self.stages, self.mapping, day)


@dataclass(frozen=True)
class Table:
    """A table as read from a file: text cells (None where empty), each row's line and its number of fields."""

    table: pd.DataFrame
    line: pd.Series
    fields: pd.Series

    @classmethod
    def of(cls, header: list[str], header_line: int, rows: list[list[str]], lines: list[int], where: str) -> "Table":
        named = [h for h in header if h]
        repeated = sorted({h for h in named if named.count(h) > 1})
        if repeated:
            raise ScenarioError(
                [Problem("", f"the header names {', '.join(map(repr, repeated))} more than once", where, header_line)]
            )
        width = len(header)
        table = pd.DataFrame([(r + [""] * width)[:width] for r in rows], columns=header, dtype=object)
        return cls(table, pd.Series(lines, dtype=int, name="row"), pd.Series([len(r) for r in rows], dtype=int))


def _blank(record: list[str]) -> bool:
    return all(not cell for cell in record)


def _read_csv(path: Path, encoding: str) -> Table:
    """The CSV file's records with the line each starts on, counted by the CSV reader itself.

    Blank lines (and rows of empty cells) are passed over; a quoted field may span lines.
    """
    header: list[str] | None = None
    header_line = 1
    rows: list[list[str]] = []
    lines: list[int] = []
    with path.open(encoding=encoding, newline="") as stream:
        reader = csv.reader(stream)
        ended = 0  # the last line of the previous record
        try:
            for record in reader:
                first, ended = ended + 1, reader.line_num
                record = [cell.strip() for cell in record]
                if _blank(record):
                    continue
                if header is None:
                    header, header_line = record, first
                else:
                    rows.append(record)
                    lines.append(first)
        except csv.Error as exc:
            raise ScenarioError([Problem("", f"cannot read the file ({exc})", str(path), reader.line_num)]) from None
    if header is None:
        raise ScenarioError([Problem("", "the file is empty", str(path))])
    return Table.of(header, header_line, rows, lines, str(path))


def _excel_text(value: Any, decimal: str, date_format: str | None) -> str:
    """A cell of a workbook as the text the export's reader expects: numbers with its decimal mark, dates in its format."""
    if isinstance(value, (dt.datetime, dt.date)):
        return value.strftime(date_format or "%Y-%m-%d %H:%M:%S")
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_)):
        if not np.isfinite(value):
            return str(value)
        return np.format_float_positional(float(value), trim="-").replace(".", decimal)
    return str(value).strip()


def _read_excel(path: Path, sheet: str | int | None, decimal: str, date_format: str | None) -> Table:
    """The workbook's sheet, each row with its row number in the sheet; blank rows passed over."""
    grid = pd.read_excel(path, sheet_name=0 if sheet is None else sheet, header=None, dtype=object, na_filter=False)
    records = [[_excel_text(v, decimal, date_format) for v in row] for row in grid.itertuples(index=False, name=None)]
    numbered = [(i + 1, r) for i, r in enumerate(records) if not _blank(r)]  # sheet rows count from 1
    if not numbered:
        raise ScenarioError([Problem("", "the sheet is empty", str(path))])
    (header_line, header), rest = numbered[0], numbered[1:]
    return Table.of(header, header_line, [r for _, r in rest], [i for i, _ in rest], str(path))


def read_table(
    path: str | Path,
    encoding: str = "utf-8-sig",
    sheet: str | int | None = None,
    na_values: tuple[str, ...] = (),
    decimal: str = ".",
    date_format: str | None = None,
) -> Table:
    """Read a CSV or Excel file of an export as text, each row with its line in the file.

    Only empty cells (and ``na_values``) are missing: pandas' NA strings (``None``, ``NA``,
    ``n/a``...) stay text. A workbook's numbers are written with ``decimal`` and its dates in
    ``date_format`` (else ISO), so they read as the export's text would. Raise
    :class:`ScenarioError` naming the file (and the line, where the CSV reader gives one).

    >>> table = read_table("data/maven_crm/sales_teams.csv")
    >>> table.line.tolist()[:3], table.table.columns.tolist()
    ([2, 3, 4], ['sales_agent', 'manager', 'regional_office'])
    """
    path = Path(path)
    if not path.is_file():
        raise ScenarioError([Problem("", "file not found", file=str(path))])
    try:
        if path.suffix.lower() in {".xlsx", ".xlsm", ".xls"}:
            read = _read_excel(path, sheet, decimal, date_format)
        else:
            read = _read_csv(path, encoding)
    except (OSError, ValueError, UnicodeDecodeError, LookupError) as exc:
        raise ScenarioError([Problem("", f"cannot read the file ({exc})", file=str(path))]) from None
    table = read.table
    if len(table):
        table = table.where(~table.isin(["", *na_values]), None)
    return Table(table, read.line, read.fields)


def _read_export(path: Path, m: CrmMapping, sheet: str | int | None) -> Table:
    return read_table(path, m.encoding, sheet, m.na_values, m.decimal, m.date_format)


def _missing_columns(frame: pd.DataFrame, wanted: Mapping[str, str], file: str, where: str) -> list[Problem]:
    have = list(frame.columns)
    return [
        Problem(f"{where}.{canon}", f"column '{col}' is not in the file (it has: {', '.join(map(str, have))})", file)
        for canon, col in wanted.items()
        if col not in have
    ]


def _locate(source: str | Path, m: CrmMapping) -> Path:
    path = Path(source)
    if path.is_dir():
        if m.file is None:
            raise ScenarioError(
                [Problem("", f"is a folder, and mapping '{m.name}' names no main file", file=str(path))]
            )
        path = path / m.file
    return path


def read_opportunities(
    source: str | Path | pd.DataFrame, mapping: str | Path | Mapping | CrmMapping = "maven", as_of: Any = None
) -> CrmImport:
    """Read an export (file, folder holding it, or a raw table) into canonical opportunities.

    Dates after ``as_of`` (the day the export was taken; default: tomorrow, since no export
    holds a later day in any time zone) are rejected, so one mistyped year cannot move the
    export's "today"; given, it is also the import's :attr:`CrmImport.as_of`.

    Joined look-up files are found next to the main file; a raw table skips the joins.
    Raise :class:`ScenarioError` when the file or a mapped column is missing; bad rows do
    not raise but are listed in ``report.skipped`` with their line, column, problem and
    the detail (the value and why it was refused).
    """
    m = load_mapping(mapping)
    notes: list[str] = []
    if isinstance(source, pd.DataFrame):
        raw = source.reset_index(drop=True).astype(object).where(source.notna().to_numpy(), None)
        file, folder = "<table>", None
        line = pd.Series(np.arange(len(raw)) + 2, name="row")  # header is line 1
        fields_in_row = pd.Series(len(raw.columns), index=raw.index)
    else:
        path = _locate(source, m)
        sheet = _read_export(path, m, m.sheet)
        raw, line, fields_in_row, file, folder = sheet.table, sheet.line, sheet.fields, str(path), path.parent
    required = {canon: col for canon, col in m.columns.items() if canon not in FORECAST_FIELDS}
    problems = _missing_columns(raw, required, file, "columns")
    if problems:
        raise ScenarioError(problems)
    fields: dict[str, pd.Series] = {canon: raw[col] for canon, col in m.columns.items() if col in raw.columns}
    absent = [col for canon, col in m.columns.items() if canon not in fields]
    if absent:
        notes.append(f"{', '.join(map(repr, absent))} not in the file: the CRM's own forecast of open deals left empty")
    source_column: dict[str, str] = dict(m.columns)
    for join in m.joins:
        if join.by not in fields:
            raise ScenarioError([Problem("joins", f"joins on '{join.by}', which the main table does not map", file)])
        table_path = folder / join.file if folder is not None else None
        if table_path is None or not table_path.is_file():
            if join.required and table_path is not None:
                raise ScenarioError([Problem("", "file not found (needed by the mapping)", file=str(table_path))])
            notes.append(f"{join.file} not read; {', '.join(join.columns)} left empty")
            for canon in join.columns:
                fields.setdefault(canon, pd.Series([None] * len(raw), dtype=object))
            continue
        table = _read_export(table_path, m, None).table
        key = join.key or m.columns[join.by]
        problems = _missing_columns(table, {**join.columns, join.by: key}, str(table_path), f"joins.{join.file}")
        if problems:
            raise ScenarioError(problems)
        duplicated = table[key].duplicated(keep="first")
        if duplicated.any():
            notes.append(f"{join.file}: {int(duplicated.sum())} repeated '{key}' ignored (first one used)")
        table = table[~duplicated].set_index(key)
        keys = fields[join.by].astype(object)
        for canon, col in join.columns.items():
            fields[canon] = keys.map(table[col]).astype(object).where(keys.notna(), None)
            source_column[canon] = f"{join.file}:{col}"
    n = len(raw)
    bad: list[pd.DataFrame] = []

    def flag(mask: pd.Series, canon: str, problem: str, detail: pd.Series | str = "") -> None:
        mask = pd.Series(mask).fillna(False).to_numpy(bool)
        if mask.any():
            why = detail[mask].to_numpy() if isinstance(detail, pd.Series) else detail
            bad.append(
                pd.DataFrame(
                    {
                        "row": line[mask].to_numpy(),
                        "column": source_column.get(canon, canon),
                        "problem": problem,
                        "detail": why,
                    }
                )
            )

    width = len(raw.columns)
    flag(fields_in_row > width, "", WIDE_ROW, fields_in_row.astype(str) + f" fields; the header has {width}")
    empty = pd.Series([None] * n, dtype=object)
    text = {canon: fields.get(canon, empty).astype("string").str.strip().replace("", pd.NA) for canon in fields}
    for canon, fixes in m.recode.items():
        if canon in text:
            text[canon] = text[canon].replace(fixes)

    def given(canon: str) -> pd.Series:
        return text.get(canon, empty.astype("string"))

    def quoted(values: pd.Series) -> pd.Series:
        return "'" + values.astype(str) + "'"

    # id
    if "opportunity_id" in text:
        ids = text["opportunity_id"]
        flag(ids.isna(), "opportunity_id", MISSING_ID)
    else:
        ids = pd.Series(line.astype(str).radd("row-"), dtype="string")
    duplicate = ids.notna() & ids.duplicated(keep="first")

    # status and stage
    stage_of = {**{s: s for s in m.stages}, **m.stage_values}
    if "stage" in text:
        raw_stage = text["stage"]
        won = raw_stage.isin(m.won).fillna(False)
        lost = raw_stage.isin(m.lost).fillna(False)
        stage = raw_stage.map(stage_of).astype(object)
        stage[won.to_numpy()] = m.won_stage
        stage[lost.to_numpy()] = m.default_lost_stage
        unknown = pd.isna(stage)
        flag(unknown, "stage", UNKNOWN_STAGE, quoted(raw_stage))
        status = np.where(won, "won", np.where(lost, "lost", "open"))
        status = np.where(stage == m.won_stage, "won", status)  # a raw value naming the won stage
    else:
        unknown = pd.Series(False, index=ids.index)
    # dates
    created, created_why, created_offsets = read_dates(given("created").astype(object), m.date_format)
    closed, closed_why, closed_offsets = read_dates(given("closed").astype(object), m.date_format)
    if "stage" not in text:  # won_when_closed
        status = np.where(closed.notna() | given("closed").notna(), "won", "open")
        stage = pd.Series(np.where(status == "won", m.won_stage, m.stages[0]), dtype=object)
    is_closed = pd.Series(status != "open")
    flag(given("created").notna() & created.isna(), "created", UNPARSEABLE_DATE, created_why)
    # an open deal's close date is only an expectation
    flag(is_closed & given("closed").notna() & closed.isna(), "closed", UNPARSEABLE_DATE, closed_why)
    for canon, offsets in (("created", created_offsets), ("closed", closed_offsets)):
        if len(offsets) > 1:
            notes.append(
                f"{source_column.get(canon, canon)}: times with several UTC offsets ({', '.join(offsets)}); "
                f"each is read as the local day it shows"
            )
    limit = _as_of_limit(as_of)
    after = f"after the as-of date {limit.date()}"
    flag(created > limit, "created", DATE_AFTER_AS_OF, created.dt.date.astype(str) + f" is {after}")
    flag(is_closed & (closed > limit), "closed", DATE_AFTER_AS_OF, closed.dt.date.astype(str) + f" is {after}")
    flag(is_closed & given("created").isna(), "created", MISSING_DATE)
    flag(is_closed & given("closed").isna(), "closed", MISSING_DATE)
    flag(
        is_closed & (closed < created),
        "closed",
        CLOSE_BEFORE_CREATED,
        closed.dt.date.astype(str) + " is before " + created.dt.date.astype(str),
    )
    cycle = (closed - created).dt.days
    flag(
        is_closed & (closed <= limit) & (cycle > MAX_CYCLE_DAYS),
        "closed",
        CYCLE_TOO_LONG,
        cycle.astype("Int64").astype(str) + f" days after created; at most {MAX_CYCLE_DAYS:,} are believed",
    )
    closed = closed.where(is_closed.to_numpy())
    # what the CRM forecasts of an open deal: its expected close (only an open deal's is checked), category, probability
    expected_close, expected_why, _ = read_dates(given("expected_close").astype(object), m.date_format)
    flag(
        ~is_closed & given("expected_close").notna() & expected_close.isna(),
        "expected_close",
        UNPARSEABLE_DATE,
        expected_why,
    )
    category, category_why = read_forecast_categories(given("forecast_category").astype(object))
    flag(category_why.notna(), "forecast_category", UNKNOWN_CATEGORY, category_why)
    probability, probability_why = read_probabilities(given("probability").astype(object), m.decimal)
    flag(probability_why.notna(), "probability", UNPARSEABLE_PROBABILITY, probability_why)
    # value
    if "value" in text:
        value, value_why = read_amounts(text["value"].astype(object), m.decimal, m.thousands)
        flag(text["value"].notna() & value.isna(), "value", UNPARSEABLE_VALUE, value_why)
        flag(value < 0, "value", NEGATIVE_VALUE, quoted(text["value"]))
    else:
        value = pd.Series(np.nan, index=ids.index)
    flag(duplicate, "opportunity_id", DUPLICATE_ID, quoted(ids))

    columns = {"row": int, "column": object, "problem": object, "detail": object}
    skipped = pd.concat(bad, ignore_index=True) if bad else pd.DataFrame({c: [] for c in columns})
    skipped = skipped.astype(columns).sort_values(["row", "column"], kind="stable").reset_index(drop=True)
    keep = ~line.isin(skipped["row"]).to_numpy()

    out = pd.DataFrame({"opportunity_id": ids.astype(str).astype(object)})
    for canon in TEXT_FIELDS:
        out[canon] = given(canon).astype("string")
    out["created"] = created
    out["closed"] = closed
    out["status"] = pd.Series(status, dtype=object)
    out["stage"] = pd.Categorical(
        pd.Series(stage, dtype=object).where(~unknown.to_numpy()), categories=list(m.stages), ordered=True
    )
    out["value"] = value.to_numpy()
    out["expected_close"] = expected_close.to_numpy()
    out["forecast_category"] = pd.array(category.to_numpy(), dtype="string")
    out["probability"] = probability.to_numpy()
    out = out.loc[keep, list(CANONICAL_COLUMNS)].reset_index(drop=True)
    undated = int((out["status"].eq("open") & out["created"].isna()).sum())
    if undated:
        notes.append(f"{undated:,} open opportunities have no created date (kept, created is empty)")
    report = ImportReport(rows_read=n, rows_used=len(out), skipped=skipped, notes=tuple(notes))
    known_on = None if as_of is None else pd.Timestamp(as_of).normalize()
    return CrmImport(opportunities=out, report=report, stages=m.stages, mapping=m, known_on=known_on)


def _as_of_limit(as_of: Any) -> pd.Timestamp:
    """The last moment a date of the export may fall on: the end of ``as_of``, else of tomorrow."""
    day = pd.Timestamp(as_of).normalize() if as_of is not None else pd.Timestamp(dt.date.today()) + pd.Timedelta(days=1)
    return day + pd.Timedelta(days=1) - pd.Timedelta(1)
