"""Customer tiers by RFM with a follow-up cadence per tier, and receivables aging with alerts.

RFM reads each customer's won deals: **recency** (days from the last win to ``as_of``),
**frequency** (number of wins) and **monetary** value (their total). The tiers are checked in
order and the first whose bounds all hold wins; a customer matching none falls into the
fallback tier, so the tiers always partition the customers. The defaults are the practice's
example: high value R ≤ 30 days, F ≥ 3, M ≥ 50,000 → weekly deep contact; potential R ≤ 90,
F 1–2, M 10,000–50,000 → twice a month; dormant R ≥ 180, F ≤ 1, M ≤ 10,000 → a quarterly
wake-up; anyone else monthly (our choice, not the practice's).

Receivables aging buckets the invoices still unpaid at a date by days since issue
(0–30, 31–60, 61–90, 90+); invoices unpaid beyond 30 days raise an alert (practice: a
dedicated follow-up, legal if needed). :func:`invoices_from_results` turns a simulated run
into invoices: won deals are invoiced on the day they are won and paid on their paid day.

Examples
--------
>>> import pandas as pd
>>> deals = pd.DataFrame({"account": ["Acme"] * 3 + ["Bolt"], "status": ["won"] * 4,
...                       "closed": pd.to_datetime(["2024-05-01", "2024-05-20", "2024-06-10", "2023-11-01"]),
...                       "value": [20_000.0, 20_000.0, 15_000.0, 4_000.0]})
>>> rfm_tiers(deals, as_of="2024-06-30")[["recency_days", "frequency", "monetary", "tier", "cadence_days"]]
         recency_days  frequency  monetary        tier  cadence_days
customer
Acme               20          3   55000.0  high_value             7
Bolt              242          1    4000.0     dormant            91
>>> invoices = pd.DataFrame({"invoice_id": [1, 2], "customer": ["Acme", "Bolt"], "amount": [100.0, 50.0],
...                          "issued": pd.to_datetime(["2024-06-01", "2024-04-01"]), "paid": pd.NaT})
>>> receivables_aging(invoices, as_of="2024-06-30").buckets
bucket
0-30     100.0
31-60      0.0
61-90     50.0
90+        0.0
Name: amount, dtype: float64
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from sim.calendar import DEFAULT_START
from sim.constraints import NonNegativeFloat, NonNegativeInt, PositiveInt
from sim.errors import Problem, ScenarioError
from sim.yaml_io import load_model
from sim.results import Results

__all__ = [
    "BUCKETS",
    "PRACTICE",
    "Aging",
    "Tier",
    "TierRules",
    "invoices_from_results",
    "load_tier_rules",
    "read_invoices",
    "receivables_aging",
    "rfm_tiers",
    "run_receivables",
    "tier_summary",
]

BUCKETS = ("0-30", "31-60", "61-90", "90+")
_EDGES = (-np.inf, 30, 60, 90, np.inf)  # (a, b]: day 30 is still 0-30, day 31 is 31-60
ALERT_DAYS = 30  # practice: alert for invoices unpaid more than 30 days


class Tier(BaseModel):
    """One tier: bounds on recency (days), frequency (won deals) and monetary value; its follow-up cadence."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(description="tier name, e.g. high_value")
    max_recency_days: NonNegativeInt | None = Field(None, description="last purchase at most this many days ago")
    min_recency_days: NonNegativeInt | None = Field(None, description="last purchase at least this many days ago")
    min_frequency: NonNegativeInt | None = Field(None, description="at least this many won deals")
    max_frequency: NonNegativeInt | None = Field(None, description="at most this many won deals")
    min_monetary: NonNegativeFloat | None = Field(None, description="won value at least this")
    max_monetary: NonNegativeFloat | None = Field(None, description="won value at most this")
    cadence_days: PositiveInt = Field(description="days between follow-ups for a customer of this tier")
    cadence: str = Field("", description="the follow-up in words, e.g. weekly deep contact")


class TierRules(BaseModel):
    """Tiers checked in order (the first that matches wins) and the tier of everyone else."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tiers: tuple[Tier, ...] = Field(min_length=1, description="tiers in order of precedence")
    other: Tier = Field(description="the tier of customers no other tier matches (its bounds are ignored)")
    window_days: PositiveInt | None = Field(
        365,
        description="frequency and monetary count the wins of this many "
        "days before the date of the review (none: all history)",
    )

    @model_validator(mode="after")
    def _distinct(self) -> "TierRules":
        names = [t.name for t in self.tiers] + [self.other.name]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ScenarioError([Problem("tiers", f"tier names must differ: {', '.join(twice)} given twice")])
        return self


PRACTICE = TierRules(
    tiers=(
        Tier(
            name="high_value",
            max_recency_days=30,
            min_frequency=3,
            min_monetary=50_000,
            cadence_days=7,
            cadence="weekly deep contact",
        ),
        Tier(
            name="potential",
            max_recency_days=90,
            min_frequency=1,
            max_frequency=2,
            min_monetary=10_000,
            max_monetary=50_000,
            cadence_days=15,
            cadence="twice a month",
        ),
        Tier(
            name="dormant",
            min_recency_days=180,
            max_frequency=1,
            max_monetary=10_000,
            cadence_days=91,
            cadence="quarterly wake-up",
        ),
    ),
    other=Tier(name="other", cadence_days=30, cadence="monthly check-in"),
)


def load_tier_rules(path: str | Path) -> TierRules:
    """Read tier rules from YAML (the shape of :class:`TierRules`); errors name file, line and field."""
    return load_model(TierRules, path)


def _matches(tier: Tier, rfm: pd.DataFrame) -> pd.Series:
    bounds = [
        ("recency_days", tier.min_recency_days, tier.max_recency_days),
        ("frequency", tier.min_frequency, tier.max_frequency),
        ("monetary", tier.min_monetary, tier.max_monetary),
    ]
    ok = pd.Series(True, index=rfm.index)
    for column, low, high in bounds:
        if low is not None:
            ok &= rfm[column] >= low
        if high is not None:
            ok &= rfm[column] <= high
    return ok


def rfm_tiers(
    opportunities: pd.DataFrame,
    as_of: pd.Timestamp | str | None = None,
    rules: TierRules = PRACTICE,
    customer: str = "account",
) -> pd.DataFrame:
    """Per customer with a won deal by ``as_of``: recency, frequency, monetary, tier, cadence and next follow-up.

    Recency is the days since the customer's last win; frequency and monetary count the wins
    within ``rules.window_days`` before ``as_of`` (default a year). ``as_of`` defaults to the
    last close date in the table. ``next_follow_up`` is the last win
    plus the tier's cadence; ``overdue`` when that date has passed.
    """
    as_of = opportunities.closed.max() if as_of is None else pd.Timestamp(as_of)
    won = opportunities[
        (opportunities.status == "won") & (opportunities.closed <= as_of) & opportunities[customer].notna()
    ]
    recent = won if rules.window_days is None else won[won.closed > as_of - pd.Timedelta(days=rules.window_days)]
    rfm = (
        pd.DataFrame(
            {
                "last": won.groupby(won[customer].astype(str)).closed.max(),
                "frequency": recent.groupby(recent[customer].astype(str)).size(),
                "monetary": recent.value.fillna(0).groupby(recent[customer].astype(str)).sum(),
            }
        )
        .fillna({"frequency": 0, "monetary": 0.0})
        .astype({"frequency": int, "monetary": float})
    )
    rfm.index.name = "customer"
    rfm.insert(0, "recency_days", (as_of - rfm["last"]).dt.days)
    rfm["tier"] = rules.other.name
    undecided = pd.Series(True, index=rfm.index)
    for tier in rules.tiers:
        hit = undecided & _matches(tier, rfm)
        rfm.loc[hit, "tier"] = tier.name
        undecided &= ~hit
    every = (*rules.tiers, rules.other)
    rfm["tier"] = pd.Categorical(rfm.tier, categories=[t.name for t in every])
    cadence = {t.name: t for t in every}
    rfm["cadence_days"] = rfm.tier.map({n: t.cadence_days for n, t in cadence.items()}).astype(int)
    rfm["cadence"] = rfm.tier.map({n: t.cadence for n, t in cadence.items()}).astype(str)
    rfm["next_follow_up"] = rfm["last"] + pd.to_timedelta(rfm.cadence_days, unit="D")
    rfm["overdue"] = rfm.next_follow_up < as_of
    return rfm[
        [
            "recency_days",
            "frequency",
            "monetary",
            "tier",
            "cadence_days",
            "cadence",
            "last",
            "next_follow_up",
            "overdue",
        ]
    ]


def tier_summary(tiers: pd.DataFrame, rules: TierRules = PRACTICE) -> pd.DataFrame:
    """Per tier (every tier, in order): customers, their won value, follow-ups overdue, and the cadence."""
    every = (*rules.tiers, rules.other)
    table = tiers.groupby("tier", observed=False).agg(
        customers=("frequency", "size"), monetary=("monetary", "sum"), overdue=("overdue", "sum")
    )
    table = table.reindex([t.name for t in every], fill_value=0)
    table["cadence_days"] = [t.cadence_days for t in every]
    table["cadence"] = [t.cadence for t in every]
    return table


@dataclass(frozen=True)
class Aging:
    """Invoices unpaid at ``as_of`` with their age and bucket, the amount per bucket, and the alerts."""

    open_invoices: pd.DataFrame
    as_of: pd.Timestamp

    @property
    def buckets(self) -> pd.Series:
        """Amount outstanding per bucket (every bucket present; they sum to the total outstanding)."""
        return self.open_invoices.groupby("bucket", observed=False).amount.sum().reindex(list(BUCKETS), fill_value=0.0)

    @property
    def alerts(self) -> pd.DataFrame:
        """Invoices unpaid more than 30 days, oldest first: each needs a dedicated follow-up."""
        return self.open_invoices[self.open_invoices.age_days > ALERT_DAYS].sort_values("age_days", ascending=False)

    def summary(self) -> dict[str, Any]:
        """JSON-ready: total outstanding, amount and count per bucket, number and amount of alerts."""
        counts = self.open_invoices.groupby("bucket", observed=False).size().reindex(list(BUCKETS), fill_value=0)
        return {
            "as_of": self.as_of.date().isoformat(),
            "outstanding": float(self.open_invoices.amount.sum()),
            "buckets": {b: {"amount": float(self.buckets[b]), "invoices": int(counts[b])} for b in BUCKETS},
            "alerts": int(len(self.alerts)),
            "alert_amount": float(self.alerts.amount.sum()),
        }


def receivables_aging(invoices: pd.DataFrame, as_of: pd.Timestamp | str) -> Aging:
    """Age the invoices issued by ``as_of`` and not paid by then (``paid`` NaT or later).

    ``invoices`` needs ``amount``, ``issued`` and ``paid`` (datetime, NaT = unpaid); other
    columns (invoice id, customer, replication) are kept.
    """
    missing = {"amount", "issued", "paid"} - set(invoices.columns)
    if missing:
        raise ValueError(f"the invoice table needs the columns {sorted(missing)}")
    as_of = pd.Timestamp(as_of)
    unpaid = invoices[(invoices.issued <= as_of) & ~(invoices.paid <= as_of)].copy()
    unpaid["age_days"] = (as_of - unpaid.issued).dt.days
    unpaid["bucket"] = pd.cut(unpaid.age_days, _EDGES, labels=list(BUCKETS))
    return Aging(unpaid, as_of)


INVOICE_COLUMNS = ("invoice_id", "customer", "amount", "issued", "paid")


def read_invoices(path: str | Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read an invoice table (CSV or Excel with columns ``invoice_id, customer, amount, issued, paid``;
    ISO dates, ``paid`` empty while unpaid) with the CRM reader's rules (:func:`sim.crm.read_table`,
    :mod:`sim.crm_values`). Return the usable invoices and the skipped rows, each with its line in
    the file, the column, the problem and the detail (the value and why it was refused)."""
    from sim.crm import read_table
    from sim.crm_values import read_amounts, read_dates

    path = Path(path)
    read = read_table(path)
    raw, line = read.table, read.line
    missing = [c for c in INVOICE_COLUMNS if c not in raw.columns]
    if missing:
        raise ScenarioError(
            [
                Problem(c, f"column missing (the file has: {', '.join(map(str, raw.columns))})", file=str(path))
                for c in missing
            ]
        )
    amount, amount_why = read_amounts(raw.amount.astype(object))
    issued, issued_why, _ = read_dates(raw.issued.astype(object))
    paid, paid_why, _ = read_dates(raw.paid.astype(object))
    empty = pd.Series("empty", index=raw.index)
    checks = [
        ("amount", amount.isna(), "unparseable amount", amount_why.fillna(empty)),
        ("amount", amount < 0, "negative amount", "'" + raw.amount.astype(str) + "'"),
        ("issued", issued.isna(), "unparseable date", issued_why.fillna(empty)),
        ("paid", paid.isna() & raw.paid.notna(), "unparseable date", paid_why),
        (
            "paid",
            paid < issued,
            "paid before issued",
            paid.dt.date.astype(str) + " is before " + issued.dt.date.astype(str),
        ),
    ]
    problems = [
        pd.DataFrame(
            {
                "row": line[bad.to_numpy()].to_numpy(),
                "column": column,
                "problem": problem,
                "detail": detail[bad.to_numpy()].to_numpy(),
            }
        )
        for column, bad, problem, detail in checks
        if bad.any()
    ]
    skipped = (
        pd.concat(problems, ignore_index=True).drop_duplicates("row").sort_values("row", ignore_index=True)
        if problems
        else pd.DataFrame({"row": pd.Series(dtype=int), "column": [], "problem": [], "detail": []})
    )
    keep = ~line.isin(skipped.row).to_numpy()
    invoices = pd.DataFrame(
        {"invoice_id": raw.invoice_id, "customer": raw.customer, "amount": amount, "issued": issued, "paid": paid}
    )[keep].reset_index(drop=True)
    return invoices.astype({"issued": "datetime64[ns]", "paid": "datetime64[ns]"}), skipped


def invoices_from_results(results: Results) -> pd.DataFrame:
    """The invoices of a simulated run: each won deal invoiced on the day it was won, paid on its paid day.

    Dates count from the scenario's ``start_date``; ``replication`` tells the runs apart
    (age one replication at a time, or divide sums by the number of replications).
    """
    leads = results.leads
    won = leads[leads.outcome == "won"]
    start = pd.Timestamp(results.scenario.start_date or DEFAULT_START)
    return pd.DataFrame(
        {
            "replication": won.replication.to_numpy(),
            "invoice_id": won.lead.to_numpy(),
            "tier": won.tier.astype(str).to_numpy(),
            "amount": won.value.to_numpy(dtype=float),
            "issued": start + pd.to_timedelta(np.floor(won.won_day.to_numpy()), unit="D"),
            "paid": start + pd.to_timedelta(np.floor(won.paid_day.to_numpy()), unit="D"),
        }
    )


def run_receivables(results: Results, day: int | None = None, replication: int = 0) -> Aging:
    """Receivables of one replication of a run at ``day`` (default the last day of the horizon)."""
    invoices = invoices_from_results(results)
    day = results.scenario.horizon_days - 1 if day is None else day
    as_of = pd.Timestamp(results.scenario.start_date or DEFAULT_START) + pd.Timedelta(days=day)
    return receivables_aging(invoices[invoices.replication == replication], as_of)
