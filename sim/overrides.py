"""Overrides: a scenario with a few values changed, named by dotted paths over names.

``teams.proposal.headcount: 14`` sets the headcount of the team named ``proposal``;
``channels.inbound.leads_per_day: 150`` the lead rate of the channel ``inbound``;
``stages.qualify.conversion: 0.4``, ``horizon_days: 180``. List items are found by name (or
by index). The changed scenario is validated again, so a bad value gets the usual message,
placed at the override.

Examples
--------
>>> import sim
>>> s = apply_overrides(sim.load("playbooks/b2b_saas.yaml"), {"teams.solutions.headcount": 10})
>>> s.team("solutions").headcount
10
>>> apply_overrides(s, {"teams.solution.headcount": 10})
Traceback (most recent call last):
...
sim.errors.ScenarioError: teams.solution.headcount: team 'solution' does not exist (did you mean 'solutions'?)
"""

from __future__ import annotations

import difflib
from typing import Any, Mapping

import yaml

from sim.errors import Problem, ScenarioError, format_loc
from sim.scenario import Scenario, validate

__all__ = ["apply_overrides", "parse_override"]

_SINGULAR = {"teams": "team", "channels": "channel", "stages": "stage"}


def parse_override(text: str) -> tuple[str, Any]:
    """``"teams.proposal.headcount=14"`` → ``("teams.proposal.headcount", 14)`` (the value read as YAML)."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise ScenarioError([Problem("--override", f"{text!r} is not KEY=VALUE")])
    return key.strip(), yaml.safe_load(value)


def apply_overrides(scenario: Scenario, overrides: Mapping[str, Any], file: str | None = None) -> Scenario:
    """The scenario with each dotted path set to its value, validated again; every problem reported."""
    data = scenario.model_dump(mode="json", by_alias=True)
    problems = []
    lines: dict[tuple, int] = {}
    keys: dict[str, str] = {}  # "channels[0].leads_per_day" -> "channels.inbound.leads_per_day"
    for key, value in overrides.items():
        try:
            path = _resolve(data, key)
        except ScenarioError as exc:
            problems.extend(exc.problems)
            continue
        node = data
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = value
        lines[path] = 0
        keys[format_loc(path)] = key
    if problems:
        raise ScenarioError(problems if file is None else ScenarioError(problems).with_file(file).problems)
    try:
        return validate(Scenario, data, file or "overrides", lines)
    except ScenarioError as exc:
        raise ScenarioError(Problem(_named(p.field, keys), p.message, file, None) for p in exc.problems) from None


def _named(field: str, keys: dict[str, str]) -> str:
    """The problem's field as the override named it, where an override set it (or a part of it)."""
    for located, key in keys.items():
        if field == located or field.startswith(located + ".") or field.startswith(located + "["):
            return key + field[len(located):]
    return field


def _resolve(data: dict, key: str) -> tuple:
    """The path of indices and keys that ``key`` names in the scenario's data."""
    parts = key.split(".")
    path: list = []
    node: Any = data
    i = 0
    while i < len(parts):
        part = parts[i]
        if isinstance(node, list):
            names = [item.get("name") for item in node if isinstance(item, dict)]
            if part.isdigit() and int(part) < len(node):
                index = int(part)
            elif part in names:
                index = names.index(part)
            else:
                what = _SINGULAR.get(str(path[-1]) if path else "", "item")
                close = difflib.get_close_matches(part, [n for n in names if n], n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else f" (known: {', '.join(map(str, names))})"
                raise ScenarioError([Problem(key, f"{what} '{part}' does not exist{hint}")])
            path.append(index)
            node = node[index]
        elif isinstance(node, dict):
            if part not in node and i < len(parts) - 1:
                raise ScenarioError([Problem(key, f"'{part}' is not a field that holds others")])
            path.append(part)
            node = node.get(part)
        else:
            raise ScenarioError([Problem(key, f"'{parts[i - 1]}' has no field '{part}'")])
        i += 1
    return tuple(path)
