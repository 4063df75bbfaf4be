"""The scenario file reference (``playbooks/README.md``), generated from the models' field descriptions.

Run ``python -m sim.reference playbooks/README.md`` after changing a model, and
``python -m sim.reference --plans playbooks/incentives/README.md`` after changing an incentive
plan's; a test fails while either file is out of date.

Examples
--------
>>> "| `horizon_days` |" in reference_markdown()
True
"""

from __future__ import annotations

import datetime as dt
import sys
import types
import typing
from pathlib import Path

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from sim import distributions
from sim.scenario import Attrition, Calendar, Channel, Hire, OpenDeal, Opening, Ramp, Scenario, Stage, Targets, Team

__all__ = ["reference_markdown", "plan_reference_markdown"]

_INTRO = """\
# Scenario files

A scenario (`playbooks/*.yaml`) describes a sales organisation and its plan: where leads come
from, the funnel they pass through, the teams that work it, what deals are worth and the
targets. `python -m sim validate FILE` checks a file and prints every problem, one line
each, with file, line and field. Every shipped playbook comments each number with its source
(`practice` = the practice summarised in [docs/practice.md](../docs/practice.md), or `assumption`).

This page is generated from the models' field descriptions by
`python -m sim.reference playbooks/README.md`; do not edit it by hand.

## How the model works
- Each channel brings leads as a Poisson process at `leads_per_day` times the month's
  `seasonality` multiplier; each lead gets a customer tier from the channel's `tiers` mix.
- At each stage, in order, a lead waits for a free rep of the stage's team (first come,
  first served; the longest-idle rep takes it), takes `work_days` of that rep's time (longer
  while a new rep ramps up), then `wait_days` of customer-side time, then moves on with
  probability `conversion` or is lost. Converting at the last stage wins the deal.
- A won deal is worth a draw from `deal_value` and is paid `collection_days` later, unless
  it is one of the `bad_debt` share that is never paid.
- Whatever has not happened by `horizon_days` is left open.

Distributions are written as a mapping with a `dist` key, e.g.
`{dist: lognormal, median: 20000, sigma: 0.8}`; the choices are listed at the end.
"""


_KEYED_BY = {"lead_flow": "channel"}  # mappings keyed by something other than a customer tier


def _describe(annotation, keys: str = "tier") -> str:
    """A reader's name for a field type: ``probability (0 to 1)``, ``list of number ≥ 0``, ...; a mapping's
    values are named per ``keys``."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Annotated:
        labels = [getattr(m.func, "label", None) for m in args[1:] if hasattr(m, "func")]
        return next((label for label in labels if label), None) or _describe(args[0], keys)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in args if a is not type(None)]
        if options == list(typing.get_args(typing.get_args(distributions.Distribution)[0])):
            return "distribution"
        return " or ".join(dict.fromkeys(_describe(a, keys) for a in options))
    if origin is typing.Literal:
        return " or ".join(f"`{a}`" for a in args)
    if origin is tuple:
        return f"list of {_describe(args[0])}"
    if origin is dict:  # keyed by ``keys``, unless the key names what it is: Annotated[str, "team"]
        key = typing.get_args(args[0])[1] if typing.get_origin(args[0]) is typing.Annotated else keys
        return f"{_describe(args[1])} per {key}"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "mapping (below)"
    return {float: "number", int: "whole number", str: "text", bool: "true or false", dt.date: "date (YYYY-MM-DD)"}.get(
        annotation, getattr(annotation, "__name__", str(annotation))
    )


def _default(field) -> str:
    if field.is_required():
        return "required"
    if field.default is PydanticUndefined or field.default is None:
        return "optional"
    if isinstance(field.default, BaseModel):
        return "defaults below"
    return f"default `{field.default!r}`" if field.default != () else "default none"


def _table(model: type[BaseModel], title: str) -> str:
    lines = [f"## {title}", "", (model.__doc__ or "").strip(), "", "| field | type | | meaning |", "|---|---|---|---|"]
    for name, field in model.model_fields.items():
        shown = field.alias or name
        type_name = _describe(
            typing.Annotated[(field.annotation, *field.metadata)] if field.metadata else field.annotation,
            _KEYED_BY.get(name, "tier"),
        )
        lines.append(f"| `{shown}` | {type_name} | {_default(field)} | {field.description or ''} |")
    return "\n".join(lines) + "\n"


def reference_markdown() -> str:
    """The whole reference page as Markdown."""
    parts = [_INTRO]
    for model, title in [
        (Scenario, "Scenario (top level)"),
        (Channel, "channels[]"),
        (Stage, "stages[]"),
        (Team, "teams[]"),
        (Hire, "teams[].hires[]"),
        (Ramp, "teams[].ramp"),
        (Attrition, "teams[].attrition"),
        (Targets, "targets"),
        (Calendar, "calendar"),
        (Opening, "opening"),
        (OpenDeal, "opening.pipeline[]"),
    ]:
        parts.append(_table(model, title))
    parts.append("## Distributions\n")
    for dist in typing.get_args(typing.get_args(distributions.Distribution)[0]):
        kind = typing.get_args(dist.model_fields["dist"].annotation)[0]
        params = ", ".join(
            f"`{f.alias or n}` ({f.description.rstrip('.').lower()})"
            for n, f in dist.model_fields.items()
            if n != "dist"
        )
        parts.append(f"- `{kind}`: {(dist.__doc__ or '').strip().splitlines()[0]} Parameters: {params}.")
    return "\n".join(parts) + "\n"


_PLAN_INTRO = """\
# Incentive plan files

An incentive plan (`playbooks/incentives/*.yaml`) says how the reps of one team are paid for a
simulated year: base pay, commission by tier of attainment and by deal size, threshold, cap,
new-product and repeat-order kickers, bonuses and clawbacks, and how strongly reps respond to
it. `python -m sim incentives SCENARIO --plan
PLAN.yaml [--compare OTHER.yaml ...] --out DIR` pays the same simulated year under each plan and
writes `payouts.parquet` and `incentives.json`; a wrong file prints every problem, one line each,
with file, line and field.

This page is generated from the models' field descriptions by
`python -m sim.reference --plans playbooks/incentives/README.md`; do not edit it by hand.
"""


def plan_reference_markdown() -> str:
    """The incentive plan reference page as Markdown."""
    from sim.incentives import (
        Clawback,
        Commission,
        DealBand,
        IncentivePlan,
        Kickers,
        LargeDealBonus,
        ProcessBonus,
        TeamBonus,
        Tier,
    )
    from sim.model.behaviour import Behaviour

    parts = [_PLAN_INTRO]
    for model, title in [
        (IncentivePlan, "Plan (top level)"),
        (Commission, "commission"),
        (Tier, "commission.tiers[]"),
        (DealBand, "deal_size_rates[]"),
        (Kickers, "kickers"),
        (ProcessBonus, "process_bonus"),
        (TeamBonus, "team_bonus"),
        (LargeDealBonus, "large_deal_bonus"),
        (Clawback, "clawback"),
        (Behaviour, "behaviour"),
    ]:
        parts.append(_table(model, title))
    return "\n".join(parts)


if __name__ == "__main__":
    plans = "--plans" in sys.argv[1:]
    args = [a for a in sys.argv[1:] if a != "--plans"]
    target = Path(args[0]) if args else None
    text = plan_reference_markdown() if plans else reference_markdown()
    if target:
        target.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
