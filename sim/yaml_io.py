"""YAML files read safely, within bounds, with a line for every field.

Every YAML file the project reads -- scenarios, sweeps, incentive plans, CRM mappings, tier
rules, benchmarks -- goes through :func:`load_model` (or :func:`parse_yaml` and
:func:`validate`). Reading is safe (no tags that run code) and bounded: before anything is
built, one pass over the parser's events refuses what could make a small file take unbounded
memory or time, each as one problem naming file, line and field:

- a file larger than :data:`MAX_BYTES`;
- aliases that make the document grow (a "billion laughs" file): every alias counts as a copy
  of what it names, and the document may hold at most :data:`MAX_NODES` values in all;
- an alias inside the value it names (``a: &a [*a]``), which would never end;
- nesting deeper than :data:`MAX_DEPTH`;
- numbers written with more than :data:`MAX_NUMBER_CHARS` characters, and dates that do not
  exist (``2026-13-45``).

Validation errors of pydantic become ``file:line: field: message`` lines.

Examples
--------
>>> data, lines = parse_yaml("a: 1\\nb: [x, y]\\n", "f.yaml")
>>> data, lines[("b", 1)]
({'a': 1, 'b': ['x', 'y']}, 2)
>>> parse_yaml("a: &a [*a]\\n", "loop.yaml")
Traceback (most recent call last):
...
sim.errors.ScenarioError: loop.yaml:1: a[0]: the alias '*a' stands inside the value it names, which never ends
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any, Iterable, TypeVar, get_args

import yaml
from pydantic import BaseModel, ValidationError

from sim.errors import Problem, ScenarioError, format_loc

__all__ = [
    "MAX_BYTES",
    "MAX_NODES",
    "MAX_DEPTH",
    "MAX_NUMBER_CHARS",
    "read_text",
    "parse_yaml",
    "parse_value",
    "validate",
    "load_model",
    "field_lines",
]

MAX_BYTES = 1 << 20
"""Largest file read: a scenario is a page or two of text; a sweep or mapping a few pages."""

MAX_NODES = 100_000
"""Most values (scalars, lists, mappings) a document may hold once its aliases are expanded:
far above any real scenario, far below what would strain memory."""

MAX_DEPTH = 50
"""Deepest nesting of lists and mappings: a scenario nests a handful of levels."""

MAX_NUMBER_CHARS = 40
"""Longest number, in characters: enough for any float written out in full."""

M = TypeVar("M", bound=BaseModel)


def read_text(path: str | Path) -> str:
    """A text file's content; a missing, unreadable or too large file is a :class:`ScenarioError` naming it."""
    file = str(path)
    try:
        with open(path, "rb") as handle:  # read at most one byte past the cap, whatever the file is (a pipe too)
            raw = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise ScenarioError([Problem("", "file not found", file=file)]) from None
    except OSError as exc:
        raise ScenarioError([Problem("", f"cannot read the file ({exc.strerror or exc})", file=file)]) from None
    if len(raw) > MAX_BYTES:
        raise ScenarioError(
            [Problem("", f"the file is larger than {MAX_BYTES // 1024} KiB; is it the right file?", file=file)]
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ScenarioError([Problem("", "is not UTF-8 text", file=file, line=line)]) from None


def load_model(model: type[M], path: str | Path) -> M:
    """Read a YAML file and validate it against ``model``; every problem names file, line and field."""
    data, lines = parse_yaml(read_text(path), str(path))
    return validate(model, data, str(path), lines)


def field_lines(lines: dict[tuple, int]) -> dict[str, int]:
    """The line index of :func:`parse_yaml` keyed by field text (``stages[2].conversion``)."""
    return {format_loc(path): line for path, line in lines.items()}


# --------------------------------------------------------------------------- parsing


def _malformed(exc: yaml.YAMLError, file: str) -> ScenarioError:
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        return ScenarioError(
            [Problem("", f"malformed YAML: {exc.problem}", file=file, line=mark.line + 1 if mark else None)]
        )
    return ScenarioError([Problem("", f"malformed YAML: {exc}", file=file)])


def parse_yaml(text: str, file: str) -> tuple[Any, dict[tuple, int]]:
    """Parse YAML safely and within bounds; return the data and the line (1-based) of every path in it."""
    if len(text.encode("utf-8", errors="surrogatepass")) > MAX_BYTES:
        raise ScenarioError([Problem("", f"the text is larger than {MAX_BYTES // 1024} KiB", file=file)])
    try:
        _check_bounds(text, file)
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        raise _malformed(exc, file) from None
    if node is None:
        raise ScenarioError([Problem("", "the file is empty", file=file, line=1)])
    lines: dict[tuple, int] = {}
    problems: list[Problem] = []
    _index_lines(node, (), lines, problems, file)
    if problems:
        raise ScenarioError(problems)
    loader = yaml.SafeLoader("")
    try:
        data = loader.construct_document(node)
    except yaml.YAMLError as exc:
        raise _malformed(exc, file) from None
    finally:
        loader.dispose()
    return data, lines


def parse_value(text: str, where: str) -> Any:
    """One YAML value given outside a file (``--override KEY=VALUE``), read within the same bounds.

    >>> parse_value("{dist: fixed, value: 3}", "--override")
    {'dist': 'fixed', 'value': 3}
    """
    if len(text.encode("utf-8", errors="surrogatepass")) > MAX_BYTES:
        raise ScenarioError([Problem("", f"the value is larger than {MAX_BYTES // 1024} KiB", file=where)])
    try:
        _check_bounds(text, where)
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise _malformed(exc, where) from None


class _Open:
    """A list or mapping being read: its anchor, the values inside it so far, and where the next one goes."""

    __slots__ = ("anchor", "size", "mapping", "index", "key", "expect_key")

    def __init__(self, anchor: str | None, mapping: bool):
        self.anchor, self.size, self.mapping = anchor, 0, mapping
        self.index, self.key, self.expect_key = 0, None, True

    def place(self) -> Any:
        """The path part of the value read next (``None`` for a mapping's key)."""
        if not self.mapping:
            return self.index
        return None if self.expect_key else self.key

    def advance(self, key: Any = None) -> None:
        if not self.mapping:
            self.index += 1
        elif self.expect_key:
            self.key, self.expect_key = key, False
        else:
            self.expect_key = True


def _check_bounds(text: str, file: str) -> None:
    """One pass over the parser's events (no recursion, no tree): refuse what cannot be read within bounds."""
    resolver = yaml.SafeLoader("")
    sizes: dict[str, int] = {}  # anchor → values it stands for, aliases expanded
    stack: list[_Open] = []
    total = 0

    def where() -> str:
        return format_loc(p for p in (o.place() for o in stack) if p is not None)

    def fail(event: yaml.Event, message: str) -> None:
        raise ScenarioError([Problem(where(), message, file, event.start_mark.line + 1)])

    def add(event: yaml.Event, size: int, key: Any = None) -> None:
        """Count a value of ``size`` values (a scalar, an alias's copy, a closed list) into its parent."""
        nonlocal total
        total += 1 if isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)) else size
        if total > MAX_NODES:
            what = "aliases expand it to" if isinstance(event, yaml.AliasEvent) else "it holds"
            fail(event, f"the document is too large: {what} more than {MAX_NODES:,} values")
        if stack:
            stack[-1].size += size
            stack[-1].advance(key)

    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                if len(stack) >= MAX_DEPTH:
                    fail(event, f"nested more than {MAX_DEPTH} levels deep")
                stack.append(_Open(event.anchor, isinstance(event, yaml.MappingStartEvent)))
            elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                closed = stack.pop()
                if closed.anchor is not None:
                    sizes[closed.anchor] = closed.size + 1
                add(event, closed.size + 1)  # its values were counted as they came: the total grows by one
            elif isinstance(event, yaml.AliasEvent):
                if any(o.anchor == event.anchor for o in stack):
                    fail(event, f"the alias '*{event.anchor}' stands inside the value it names, which never ends")
                add(event, sizes.get(event.anchor, 1))  # an unknown alias is left to the composer to report
            elif isinstance(event, yaml.ScalarEvent):
                _check_scalar(event, resolver, fail)
                if event.anchor is not None:
                    sizes[event.anchor] = 1
                add(event, 1, event.value)
    finally:
        resolver.dispose()


def _check_scalar(event: yaml.ScalarEvent, resolver: yaml.SafeLoader, fail) -> None:
    if event.tag is not None and event.tag != "!":
        tag = event.tag
    else:
        tag = resolver.resolve(yaml.ScalarNode, event.value, event.implicit)
    if tag in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float") and len(event.value) > MAX_NUMBER_CHARS:
        fail(event, f"a number written with {len(event.value):,} characters is too long (at most {MAX_NUMBER_CHARS})")
    if tag in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:timestamp"):
        try:
            resolver.yaml_constructors[tag](resolver, yaml.ScalarNode(tag, event.value))
        except (ValueError, OverflowError, yaml.YAMLError):
            what = "a date" if tag.endswith("timestamp") else "a number"
            fail(event, f"{event.value!r} is not {what}")


def _index_lines(node: yaml.Node, path: tuple, lines: dict, problems: list, file: str) -> None:
    """The line of every path; a key given twice or a key that is not text is a problem."""
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: set = set()
        for key, value in node.value:
            line = key.start_mark.line + 1
            if not isinstance(key, yaml.ScalarNode):
                problems.append(
                    Problem(format_loc(path), "a key must be a single value, not a list or mapping", file, line)
                )
                continue
            if key.value in seen and key.value != "<<":
                problems.append(Problem(format_loc(path + (key.value,)), "is given twice", file, line))
            seen.add(key.value)
            _index_lines(value, path + (key.value,), lines, problems, file)
            lines[path + (key.value,)] = line
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _index_lines(item, path + (i,), lines, problems, file)


# --------------------------------------------------------------------------- validation


def validate(model: type[M], data: Any, file: str, lines: dict[tuple, int]) -> M:
    """Validate parsed YAML ``data`` against ``model``; errors carry file and line."""
    if not isinstance(data, dict):
        raise ScenarioError([Problem("", "expected a mapping of fields at the top level", file, 1)])
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = [_problem(e, data, model) for e in exc.errors(include_url=False) if not _echo(e, data)]
    except ScenarioError as exc:  # cross-field checks of a model validator (whole-model locations)
        problems = exc.problems
    raise ScenarioError(_placed(problems, file, lines))


_LAST_PART = re.compile(r"(\.[^.\[]+|\[\d+\]|^[^.\[]+)$")


def _placed(problems: Iterable[Problem], file: str, lines: dict[tuple, int]) -> list[Problem]:
    by_field = field_lines(lines)
    placed = []
    for p in problems:
        field = p.field
        while field not in by_field and field:  # the nearest enclosing field that is in the file
            field = _LAST_PART.sub("", field)
        placed.append(Problem(p.field, p.message, file, by_field.get(field)))
    return placed


def _echo(error: dict, data: Any) -> bool:
    """Pydantic reports a list whose items failed as also too short; that is no extra problem."""
    if error["type"] != "too_short" or (error.get("ctx") or {}).get("actual_length") != 0:
        return False
    node = data
    for part in error["loc"]:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return False
    return isinstance(node, list) and len(node) > 0


def _clean_loc(loc: tuple, data: Any, missing: bool) -> tuple:
    """Drop union tags (e.g. ``lognormal``, ``by_tier``) from a pydantic location, guided by the data."""
    clean: list = []
    node = data
    for i, part in enumerate(loc):
        last = i == len(loc) - 1
        if isinstance(node, dict) and part in node:
            clean.append(part)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            clean.append(part)
            node = node[part]
        elif isinstance(node, dict) and last and missing:
            clean.append(part)
        elif not isinstance(node, (dict, list)):
            break
    return tuple(clean)


def _vocabulary(model: type[BaseModel], seen: set | None = None) -> set[str]:
    """Every field name (and alias) of ``model`` and the models inside it, for 'did you mean'."""
    seen = set() if seen is None else seen
    if model in seen:
        return set()
    seen.add(model)
    names: set[str] = set()
    for name, field in model.model_fields.items():
        names.add(field.alias or name)
        stack = [field.annotation, *field.metadata]
        while stack:
            t = stack.pop()
            if isinstance(t, type) and issubclass(t, BaseModel):
                names |= _vocabulary(t, seen)
            else:
                stack.extend(get_args(t))
    return names


def _problem(error: dict, data: Any, model: type[BaseModel]) -> Problem:
    loc = _clean_loc(tuple(error["loc"]), data, missing=error["type"] == "missing")
    field = format_loc(loc)
    kind, value = error["type"], error.get("input")
    ctx = error.get("ctx") or {}
    if kind == "missing":
        message = "missing (required)"
    elif kind == "extra_forbidden":
        close = difflib.get_close_matches(str(loc[-1]), sorted(_vocabulary(model)), n=1)
        message = "unknown field" + (f" (did you mean '{close[0]}'?)" if close else "")
    elif kind == "value_error":
        message = str(ctx.get("error", error["msg"]))
    elif kind in {"float_parsing", "float_type", "int_parsing", "int_type", "finite_number"}:
        message = (
            f"{value!r} is not a number"
            if kind.startswith("float") or kind == "finite_number"
            else f"{value!r} is not a whole number"
        )
    elif kind == "int_from_float":
        message = f"{value!r} is not a whole number"
    elif kind == "union_tag_invalid":
        expected = ctx.get("expected_tags", "")
        close = difflib.get_close_matches(str(ctx.get("tag")), [t.strip(" '") for t in expected.split(",")], n=1)
        hint = f"did you mean '{close[0]}'?" if close else f"expected one of {expected}"
        message = f"unknown distribution '{ctx.get('tag')}' ({hint})"
    elif kind == "union_tag_not_found":
        message = "needs a 'dist' key naming the distribution"
    elif kind in {"too_short", "too_long"}:
        expected = ctx.get("min_length") if kind == "too_short" else ctx.get("max_length")
        got = ctx.get("actual_length")
        message = "must not be empty" if expected == 1 and got == 0 else f"needs {expected} values, got {got}"
    elif kind in {"model_type", "model_attributes_type", "dict_type"}:
        message = f"expected a mapping of fields, got {value!r}"
    elif kind in {"tuple_type", "list_type"}:
        message = f"expected a list, got {value!r}"
    elif kind == "string_type":
        message = f"expected text, got {value!r}"
    elif kind.startswith("date"):
        message = f"{value!r} is not a date (YYYY-MM-DD)"
    else:
        message = error["msg"]
    return Problem(field, message)
