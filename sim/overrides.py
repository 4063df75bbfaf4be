"""Overrides: change a few values of a scenario by dotted path, with the scenario's own checks.

A strategy is a scenario plus overrides such as ``teams.proposal.headcount: 14`` or
``channels.inbound.leads_per_day: 150``. A path walks the scenario's fields; inside the lists
``channels``, ``stages`` and ``teams`` a part is an item's name (or its index). The changed
scenario is validated again by :class:`~sim.scenario.Scenario`, so a bad value gets the same
message as in a scenario file, placed at the line of the override that set it::

    sweep.yaml:7: parameters.teams.nosuch.headcount: team 'nosuch' does not exist (did you mean 'sdr'?)

Examples
--------
>>> import sim
>>> s = sim.load("playbooks/b2b_saas.yaml")
>>> apply_overrides(s, {"teams.solutions.headcount": 14}).team("solutions").headcount
14
>>> apply_overrides(s, {"stages.qualify.conversion.A": 1.3}, file="x.yaml", lines={"stages.qualify.conversion.A": 3})
Traceback (most recent call last):
...
sim.errors.ScenarioError: x.yaml:3: stages.qualify.conversion.A: 1.3 is not a probability (0 to 1)
>>> parse_override("channels.inbound.leads_per_day=150")
('channels.inbound.leads_per_day', 150)
"""

from __future__ import annotations

import copy
from typing import Any, Mapping

from sim.errors import Problem, ScenarioError, format_loc
from sim.scenario import Scenario, _unknown
from sim.yaml_io import parse_value, validate

__all__ = ["apply_overrides", "parse_override", "resolve_path", "with_conversion_change", "moved_conversion"]

_NAMED_LISTS = {"channels": "channel", "stages": "stage", "teams": "team"}


def parse_override(text: str) -> tuple[str, Any]:
    """Split a command-line override ``KEY=VALUE``; the value is read as YAML (``14``, ``0.3``, ``{dist: ...}``)."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise ScenarioError([Problem("--override", f"{text!r} is not KEY=VALUE")])
    try:
        parsed = parse_value(value, "--override")
    except ScenarioError as exc:
        raise ScenarioError(
            [Problem(key.strip(), f"{value[:40]!r} is not a valid value: {exc.problems[0].message}")]
        ) from None
    return key.strip(), parsed


def resolve_path(data: Mapping[str, Any], key: str) -> tuple:
    """The location in scenario ``data`` (as dumped) that the dotted ``key`` names.

    Names of channels, stages and teams become their list indices; raises
    :class:`ScenarioError` (field ``key``) for a name or index that does not exist.
    """
    parts = key.split(".")
    loc: list = []
    node: Any = data
    for i, part in enumerate(parts):
        if not part:
            raise ScenarioError([Problem(key, "is not a dotted path (empty part)")])
        if isinstance(node, list):
            parent = loc[-1] if loc else ""
            names = [item.get("name") if isinstance(item, dict) else None for item in node]
            if part in names:
                index = names.index(part)
            elif part.isdigit() and int(part) < len(node):
                index = int(part)
            else:
                what = _NAMED_LISTS.get(str(parent), "item")
                raise ScenarioError([Problem(key, _unknown(part, [n for n in names if n], what))])
            loc.append(index)
            node = node[index]
        elif isinstance(node, dict):
            loc.append(part)
            node = node.get(part) if i < len(parts) - 1 else None
            if node is None and i < len(parts) - 1:
                node = {}
        else:
            raise ScenarioError([Problem(key, f"'{format_loc(loc)}' is a single value; it has no field '{part}'")])
    return tuple(loc)


def _set(data: dict, loc: tuple, value: Any) -> None:
    node = data
    for part in loc[:-1]:
        if isinstance(node, dict) and not isinstance(node.get(part), (dict, list)):
            node[part] = {}
        node = node[part]
    node[loc[-1]] = copy.deepcopy(value)


def apply_overrides(
    scenario: Scenario,
    overrides: Mapping[str, Any],
    file: str = "<overrides>",
    lines: Mapping[str, int] | None = None,
    prefix: str = "",
) -> Scenario:
    """The scenario with ``overrides`` (dotted path → value) applied and validated again.

    Parameters
    ----------
    scenario : the scenario to start from (unchanged).
    overrides : dotted path → new value, e.g. ``{"teams.sdr.headcount": 6}``.
    file, lines : where the overrides were written (file name; line of each key), for errors.
    prefix : how the keys are nested in that file, e.g. ``"parameters."``; errors name
        ``prefix + key``.

    Raises
    ------
    ScenarioError
        One line per problem: an unknown name or field, or a value the scenario rejects.
    """
    lines = dict(lines or {})
    data = scenario.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    problems: list[Problem] = []
    placed: dict[str, str] = {}  # scenario field path -> override key
    for key, value in overrides.items():
        try:
            loc = resolve_path(data, key)
        except ScenarioError as exc:
            problems += [Problem(prefix + p.field, p.message, file, lines.get(key)) for p in exc.problems]
            continue
        _set(data, loc, value)
        placed[format_loc(loc)] = key
    if problems:
        raise ScenarioError(problems)
    try:
        return validate(Scenario, data, file, {})
    except ScenarioError as exc:
        raise ScenarioError(_renamed(p, placed, prefix, file, lines) for p in exc.problems) from None


def _renamed(problem: Problem, placed: dict[str, str], prefix: str, file: str, lines: Mapping[str, int]) -> Problem:
    """A problem of the changed scenario, named after the override that caused it when one did."""
    for field, key in placed.items():
        if problem.field == field or problem.field.startswith((field + ".", field + "[")):
            return Problem(prefix + key + problem.field[len(field) :], problem.message, file, lines.get(key))
    return Problem(problem.field, problem.message, file, None)


def with_conversion_change(scenario: Scenario, points: Mapping[str, float]) -> Scenario:
    """The scenario with each named stage's conversion (its win rate) moved by ``points``, every tier
    alike and kept within 0 to 1, validated again.

    >>> import sim
    >>> base = sim.load("playbooks/b2b_saas.yaml")
    >>> [stage.conversion for stage in with_conversion_change(base, {"discovery": 0.1}).stages][1]
    0.6
    """
    return scenario.replace(
        {
            f"stages.{i}.conversion": moved_conversion(stage.conversion, points[stage.name])
            for i, stage in enumerate(scenario.stages)
            if stage.name in points
        }
    )


def moved_conversion(conversion: float | dict[str, float], points: float) -> float | dict[str, float]:
    """A stage's ``conversion`` (one rate or one per tier) moved by ``points``, every tier alike, kept within 0 to 1.

    >>> moved_conversion({"A": 0.95, "B": 0.3}, 0.1)
    {'A': 1.0, 'B': 0.4}
    """
    if isinstance(conversion, dict):
        return {tier: min(1.0, max(0.0, p + points)) for tier, p in conversion.items()}
    return min(1.0, max(0.0, conversion + points))
