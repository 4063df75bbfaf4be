"""Reports readable without Python: one HTML page (charts embedded) or one Excel workbook.

:func:`write_report` recognises what a results directory holds -- a run (``summary.json``
from ``python -m sim run --out``), a comparison (``comparison.json``) or a sweep
(``manifest.json`` and ``results.parquet``) -- and writes its tables and charts.

Text that a spreadsheet would read as a formula (a strategy named ``=HYPERLINK(...)``) is
escaped in Excel exports by :mod:`sim.spreadsheet`, the one writer of tables meant for
spreadsheets: a leading ``=``, ``+``, ``-`` or ``@`` gets a ``'`` in front, so it shows as
text and never runs.
"""

from __future__ import annotations

import base64
import html
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure
from openpyxl.utils.exceptions import IllegalCharacterError

from sim.errors import Problem, ScenarioError
from sim.experiments import OBJECTIVES, SweepResult
from sim.formatting import money
from sim.odds import Odds
from sim.outputs import output_file, write_text
from sim.plots import experiments as charts
from sim.spreadsheet import write_xlsx

__all__ = ["Report", "build_report", "write_report"]


@dataclass(frozen=True)
class Report:
    """A titled list of tables and charts."""

    title: str
    kind: str
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    figures: dict[str, Figure] = field(default_factory=dict)


def _comparison(directory: Path) -> Report:
    summary = json.loads((directory / "comparison.json").read_text(encoding="utf-8"))
    replications = pd.read_parquet(directory / "replications.parquet")
    objective = summary.get("objective", "revenue")  # comparisons written before objectives ranked by revenue
    figure = "p_hit_target" if objective == "p_target" else objective
    rows = []
    for s in summary["strategies"]:
        row = {"strategy": s["name"], "overrides": ", ".join(f"{k}={v}" for k, v in s["overrides"].items())}
        spreads = {
            "revenue": s["revenue"],
            "total cost": s.get("costs", {}).get("total"),
            "profit": s.get("profit"),
            "won": s["won"],
            "marketing_cost": s["marketing_cost"],
            "p_hit_target": s["p_hit_target"],
        }
        for name, spread in spreads.items():
            for k, v in (spread or {}).items():
                row |= {f"{name} ci95 low": v[0], f"{name} ci95 high": v[1]} if k == "ci95" else {f"{name} {k}": v}
        row[f"p_best ({objective})"] = s["p_best"]
        rows.append(row)
    diffs = pd.DataFrame(
        [
            {
                "strategy": s["name"],
                "figure": objective,
                "against": d["against"],
                "mean": d["mean"],
                "ci_low": d["ci95"][0],
                "ci_high": d["ci95"][1],
                "sd_paired": d["sd_paired"],
                "sd_unpaired": d["sd_unpaired"],
            }
            for s in summary["strategies"]
            if (d := s.get(f"{figure}_difference"))
        ]
    )
    ranking = summary.get("ranking", [s["name"] for s in summary["strategies"]])
    winner = summary.get("winner", ranking[0])  # a winner keeps the service levels, if any were asked
    report = Report(
        f"Comparison of {len(rows)} strategies ({summary['replications']} replications, seed "
        f"{summary['seed']}), ranked by {objective}: "
        + (f"best {winner}" if winner else "no strategy keeps every service level"),
        "comparison",
        {
            "strategies": pd.DataFrame(rows)
            .set_index("strategy")
            .loc[ranking]
            .T.rename_axis(columns=None)
            .reset_index(names="figure")
        },
    )
    if "service_levels" in summary:
        report.tables["service levels"] = pd.DataFrame(
            [
                {
                    "strategy": s["name"],
                    "keeps them": s["keeps_service_levels"],
                    "breaks": ", ".join(s["service"]["broken"]),
                    **{f"{w['stage']} share within {w['days']:g} days": w["share"] for w in s["service"]["waits"]},
                    **{f"{team} utilisation": u for team, u in s["service"]["utilisation"].items()},
                }
                for s in summary["strategies"]
            ]
        )
    column = {"p_target": "hit_target"}.get(objective, objective)
    if column != "hit_target":
        report.figures[f"{objective} by strategy"] = charts.strategies_chart(replications, column)
    report.figures["revenue by strategy"] = charts.strategies_chart(replications, "revenue")
    if len(diffs):
        report.tables["differences"] = diffs
        report.figures[f"paired difference in {objective}"] = charts.differences_chart(
            diffs, figure, summary["baseline"]
        )
    return report


def _sweep(directory: Path, objective: str) -> Report:
    result = SweepResult(directory)
    if result.store.manifest().get("kind") != "sweep":
        raise ScenarioError(
            [
                Problem(
                    "",
                    "the comparison is not finished (no comparison.json); run it again to complete it",
                    file=str(directory),
                )
            ]
        )
    if not result.store.finished():
        raise ScenarioError(
            [
                Problem(
                    "",
                    "the sweep is not finished (no results.parquet); run it again to complete it",
                    file=str(directory),
                )
            ]
        )
    params = result.parameters
    by_point = result.by_point()
    figure = OBJECTIVES[objective]
    if figure == "hit_target" and not (by_point[figure].notna().all() and by_point[figure].nunique() > 1):
        figure = "profit"  # a target never (or always) hit says nothing
    sens = result.sensitivity(figure)
    spec = result.store.manifest()["spec"]
    report = Report(
        f"Sweep: {len(by_point)} points ({spec['design']}) x {spec['replications']} replications",
        "sweep",
        {"points (means)": by_point, f"sensitivity of {figure}": sens},
    )
    label = "P(hit target)" if figure == "hit_target" else figure
    report.figures[f"tornado: {label}"] = charts.tornado(sens, label, centre=float(by_point[figure].mean()))
    report.figures[f"{figure} by parameter"] = charts.sweep_chart(by_point, params, figure)
    return report


def _run(directory: Path) -> Report:
    summary = json.loads((directory / "summary.json").read_text(encoding="utf-8"))
    replications = pd.read_parquet(directory / "replications.parquet")
    costs = summary.get("costs", {})
    headline = pd.DataFrame(
        {
            **{k: summary[k] for k in ("leads", "won", "revenue", "collected")},
            **{
                f"{part} cost": costs.get(part) or {}
                for part in ("marketing", "staff", "hiring", "commission", "total")
            },
            "profit": summary.get("profit") or {},
        }
    ).T
    report = Report(
        f"Run of {summary['scenario']} ({summary['replications']} replications, seed {summary['seed']})",
        "run",
        {"headline": headline.reset_index(names="figure"), "stages": pd.DataFrame(summary["stages"])},
    )
    if costs.get("not_given"):
        report.tables["costs not given (left out of cost and profit)"] = pd.DataFrame(
            {"cost": list(costs["not_given"]), "missing": list(costs["not_given"].values())}
        )
    if summary.get("target"):
        hits = Odds.of(replications["revenue"] >= summary["target"])
        report.tables["target"] = pd.DataFrame(
            {
                "figure": ["annual target", "probability of reaching it (95% interval)"],
                "value": [money(summary["target"]), hits.text()],
            }
        )
    report.figures["revenue"] = charts.replications_chart(replications, "revenue", summary.get("target"))
    return report


def build_report(directory: str | Path, objective: str = "profit") -> Report:
    """The report of whatever ``directory`` holds: a comparison (ranked by the objective it was run with), a
    sweep (the sensitivity of ``objective``'s figure) or a run."""
    directory = Path(directory)
    if (directory / "comparison.json").exists():
        return _comparison(directory)
    if (directory / "manifest.json").exists():
        return _sweep(directory, objective)
    if (directory / "summary.json").exists():
        return _run(directory)
    raise ScenarioError(
        [
            Problem(
                "",
                "holds no run, comparison or sweep (no summary.json, comparison.json or manifest.json)",
                file=str(directory),
            )
        ]
    )


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    plt.close(fig)
    return buffer.getvalue()


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"


def to_html(report: Report) -> str:
    """The report as one self-contained HTML page (charts as embedded PNG)."""
    parts = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(report.title)}</title>",
        "<style>body{font-family:sans-serif;margin:2em;max-width:1100px} table{border-collapse:collapse;"
        "font-size:0.85em} td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}</style></head><body>",
        f"<h1>{html.escape(report.title)}</h1>",
    ]
    for name, fig in report.figures.items():
        data = base64.b64encode(_png(fig)).decode("ascii")
        parts.append(f"<h2>{html.escape(name)}</h2><img alt='{html.escape(name)}' src='data:image/png;base64,{data}'>")
    for name, table in report.tables.items():
        parts.append(f"<h2>{html.escape(name)}</h2>")
        parts.append(table.to_html(index=False, escape=True, float_format=_number, na_rep=""))
    parts.append("</body></html>")
    return "\n".join(parts)


def to_xlsx(report: Report, path: Path) -> None:
    """The report as an Excel workbook: one sheet per table, text cells escaped against formulas.

    Charts are not embedded (openpyxl needs Pillow for images); the HTML report has them.
    """
    for fig in report.figures.values():
        plt.close(fig)
    write_xlsx(path, {"about": pd.DataFrame({"report": [report.title]}), **report.tables})


def write_report(directory: str | Path, out: str | Path, objective: str = "profit") -> Path:
    """Write the report of ``directory`` to ``out`` (``.html`` or ``.xlsx``); return ``out``."""
    out = output_file(out, (".html", ".xlsx"))
    report = build_report(directory, objective)
    if out.suffix.lower() == ".xlsx":
        try:
            to_xlsx(report, out)  # a workbook that fails half-way replaces nothing
        except IllegalCharacterError as exc:
            raise ScenarioError(
                [
                    Problem(
                        "",
                        f"a name holds a character a workbook cannot store ({exc}); the HTML report can show it",
                        file=str(directory),
                    )
                ]
            ) from None
    else:
        write_text(out, to_html(report))
    return out
