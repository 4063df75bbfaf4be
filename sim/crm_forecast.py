"""What the CRM itself forecasts of the open deals: category roll-ups, its probability-weighted sum, slipped deals.

When an export carries a forecast category, a probability or an expected close date per open
deal (Salesforce's ``Forecast Category``, ``Probability (%)`` and an open deal's ``Close
Date``; HubSpot's equivalents), managers read the pipeline as the CRM rolls it up:

- **commit**: the open deals the reps commit to;
- **best case**: commit plus best case;
- **pipeline**: commit, best case and pipeline (omitted deals left out, as Salesforce rolls it up);
- **all open**: every open deal, whatever its category (or none).

Each roll-up sums the deals' values (deals without a value are counted but add nothing). The
CRM's probability-weighted sum is each open deal's probability times its value. A *slipped*
deal is an open deal whose expected close date is before the export's as-of day: the rep's
date has passed and the deal is still open. These figures are reported beside the model's,
never fed into it, with one exception: the simulation ages a slipped deal as due at the won deals'
median time to close plus the days it has slipped (:func:`sim.forecast.open_deal_ages`).

Examples
--------
>>> import pandas as pd
>>> from sim.crm import read_opportunities
>>> raw = pd.DataFrame({"Opportunity ID": ["a", "b", "c"], "Stage": ["Prospecting", "Qualification", "Closed Won"],
...     "Created Date": ["01/02/2024", "01/05/2024", "01/03/2024"], "Close Date": ["02/01/2024", "06/30/2024", "01/20/2024"],
...     "Amount": ["100", "250", "80"], "Forecast Category": ["Commit", "Best Case", "Closed"],
...     "Probability (%)": ["90", "40", "100"]})
>>> mapping = {"name": "sf", "columns": {"opportunity_id": "Opportunity ID", "stage": "Stage", "created": "Created Date",
...     "closed": "Close Date", "value": "Amount", "expected_close": "Close Date",
...     "forecast_category": "Forecast Category", "probability": "Probability (%)"},
...     "stages": ["Prospecting", "Qualification", "Closed Won"], "won": ["Closed Won"], "date_format": "%m/%d/%Y"}
>>> crm = read_opportunities(raw, mapping, as_of="2024-03-01")
>>> view = crm_forecast(crm)
>>> view.rollups["value"].tolist(), view.probability_weighted
([100.0, 350.0, 350.0, 350.0], 190.0)
>>> view.slipped[["opportunity_id", "days_slipped"]].to_dict("records")
[{'opportunity_id': 'a', 'days_slipped': 29}]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.crm import CrmImport

__all__ = ["CrmForecast", "ROLLUPS", "crm_forecast"]

ROLLUPS: dict[str, tuple[str, ...] | None] = {
    "commit": ("commit",),
    "best_case": ("commit", "best_case"),
    "pipeline": ("commit", "best_case", "pipeline"),
    "all_open": None,
}
"""Each roll-up and the forecast categories of the open deals it sums (None: every open deal)."""

SLIPPED_COLUMNS = [
    "opportunity_id",
    "rep",
    "stage",
    "forecast_category",
    "probability",
    "value",
    "created",
    "expected_close",
    "days_slipped",
    "age_days",
]


@dataclass(frozen=True)
class CrmForecast:
    """The CRM's own view of the open deals on ``as_of`` (see the module's docstring)."""

    as_of: pd.Timestamp
    rollups: pd.DataFrame
    """One row per roll-up (index ``commit``, ``best_case``, ``pipeline``, ``all_open``): ``deals``,
    ``value`` (sum of the deals' values) and ``without_value`` (deals with no value)."""
    probability_weighted: float | None
    """Sum of probability × value over open deals with both; None when no open deal has a probability."""
    with_probability: int
    slipped: pd.DataFrame
    """The slipped deals, longest slipped first, with ``days_slipped`` past the expected close and ``age_days`` since created."""
    has_categories: bool
    has_expected_close: bool

    def summary(self) -> dict:
        """The figures as plain numbers, for ``forecast.json``."""
        days = self.slipped["days_slipped"]
        return {
            "rollups": (
                {
                    name: {"deals": int(row.deals), "value": float(row.value), "without_value": int(row.without_value)}
                    for name, row in self.rollups.iterrows()
                }
                if self.has_categories
                else None
            ),
            "probability_weighted": self.probability_weighted,
            "deals_with_probability": self.with_probability,
            "slipped": (
                {
                    "deals": len(self.slipped),
                    "value": float(self.slipped["value"].sum()),
                    "median_days_slipped": float(days.median()) if len(days) else None,
                }
                if self.has_expected_close
                else None
            ),
        }

    def lines(self) -> list[str]:
        """Printed lines of the CRM's view (none when the export carries none of its fields)."""
        out = []
        if self.has_categories:
            parts = ", ".join(
                f"{name.replace('_', ' ')} {row.value:,.0f} ({int(row.deals):,} deals)"
                for name, row in self.rollups.iterrows()
            )
            out.append(f"  CRM forecast categories (open deals' values): {parts}")
        if self.probability_weighted is not None:
            out.append(
                f"  CRM probability x value ({self.with_probability:,} open deals with a probability): "
                f"{self.probability_weighted:,.0f}"
            )
        if self.has_expected_close:
            if len(self.slipped):
                out.append(
                    f"  slipped: {len(self.slipped):,} open deals past their expected close date, worth "
                    f"{self.slipped['value'].sum():,.0f}, a median {self.slipped['days_slipped'].median():,.0f} "
                    f"days late"
                )
            else:
                out.append("  slipped: no open deal is past its expected close date")
        return out


def crm_forecast(crm: CrmImport) -> CrmForecast:
    """Roll up the open deals of ``crm`` by forecast category, weigh them by the CRM's probabilities
    and list those past their expected close date on ``crm.as_of``."""
    ops = crm.opportunities
    open_ = ops[ops["status"] == "open"]
    as_of = crm.as_of.normalize() if pd.notna(crm.as_of) else pd.NaT
    category = open_["forecast_category"].astype(object)
    value = open_["value"].to_numpy(float)
    rows = {}
    for name, categories in ROLLUPS.items():
        inside = np.ones(len(open_), bool) if categories is None else category.isin(categories).to_numpy()
        rows[name] = {
            "deals": int(inside.sum()),
            "value": float(np.nansum(value[inside])),
            "without_value": int(np.isnan(value[inside]).sum()),
        }
    rollups = pd.DataFrame.from_dict(rows, orient="index")
    probability = open_["probability"].to_numpy(float)
    weighable = ~np.isnan(probability)
    weighted = float(np.nansum(probability[weighable] * value[weighable])) if weighable.any() else None
    expected = open_["expected_close"]
    late = (expected.notna() & (expected.dt.normalize() < as_of)).to_numpy()
    slipped = open_[late].assign(
        days_slipped=(as_of - expected[late].dt.normalize()).dt.days.astype(int),
        age_days=(as_of - open_.loc[late, "created"].dt.normalize()).dt.days.astype("Int64"),
    )
    slipped = slipped.sort_values(["days_slipped", "opportunity_id"], ascending=[False, True], kind="stable")
    slipped = slipped[SLIPPED_COLUMNS].assign(stage=lambda t: t["stage"].astype(object)).reset_index(drop=True)
    return CrmForecast(
        as_of=as_of,
        rollups=rollups,
        probability_weighted=weighted,
        with_probability=int(weighable.sum()),
        slipped=slipped,
        has_categories=bool(category.notna().any()),
        has_expected_close=bool(expected.notna().any()),
    )
