"""Lessons: bilingual text, checked exercises with hints, and the widgets that show them.

Text lives in ``content/<lesson>.yaml`` as ``key: {en: ..., zh: ...}`` (nested keys are
joined with dots: ``exercises.utilisation.question``); ``{name}`` placeholders are filled
from the exercise's parameters. Exercises are defined in each lesson's module, with their
answers computed from the model.

Examples
--------
>>> ex = Exercise("double", params={"x": 2}, answer=4.0, tolerance=0.01, hints=2)
>>> ex.check(5, attempt=1).correct, ex.check(5, attempt=1).direction
(False, 'high')
>>> ex.check(4.02, attempt=1).correct
True
>>> read_number("1,090,909"), read_number("0,35"), read_number("75%"), read_number("1 500")
(1090909.0, 0.35, 0.75, 1500.0)
>>> read_number("1,500")
Traceback (most recent call last):
...
sim.lessons.lesson.AmbiguousNumber: 1,500
"""

from __future__ import annotations

import importlib
import math
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Callable

import yaml

from sim.widgets import show

__all__ = ["LANGUAGES", "Exercise", "Feedback", "Lesson", "load_lesson", "read_number", "AmbiguousNumber"]

LANGUAGES = {"en": "English", "zh": "中文"}
_CONTENT = Path(__file__).with_name("content")


class AmbiguousNumber(ValueError):
    """A number that reads two ways: ``1,500`` is 1500 with a thousands comma, 1.5 with a decimal comma."""


# Thousands groups: by commas (a decimal point may follow); by dots only when there are two groups or a decimal
# comma follows, since a single dot is read as a decimal point (1.500 is one and a half).
_GROUPED = re.compile(
    r"[1-9]\d{0,2}(?:,\d{3})+(?:\.\d+)?|[1-9]\d{0,2}(?:\.\d{3}){2,}(?:,\d+)?|[1-9]\d{0,2}(?:\.\d{3})+,\d+"
)


def read_number(text: str) -> float:
    """A learner's number: thousands separated by commas, dots or spaces (``1,090,909``, ``1.090.909``,
    ``1 090 909``), a decimal point or a decimal comma (``0,35``), a trailing ``%``.

    A single dot is a decimal point (``1.500`` is 1.5). A single comma followed by exactly three
    digits (``1,500``) reads either way: refused with :class:`AmbiguousNumber` rather than guessed
    (``0,500`` is a decimal). Anything else not a number raises ``ValueError``.
    """
    value = re.sub(r"[\s\u00a0\u202f]", "", text)
    share = value.endswith("%")
    value = value.rstrip("%")
    sign = "-" if value.startswith("-") else ""
    digits = value.lstrip("+-")
    if re.fullmatch(r"[1-9]\d{0,2},\d{3}", digits):
        raise AmbiguousNumber(text.strip())
    if _GROUPED.fullmatch(digits):  # thousands groups: the other mark, if any, is the decimal one
        decimal = "." if "," in digits.split(".")[0] and "." in digits else "," if "." in digits.split(",")[0] else ""
        thousands = "," if decimal != "," else "."
        digits = digits.replace(thousands, "").replace(decimal, ".") if decimal else digits.replace(thousands, "")
    elif digits.count(",") == 1 and "." not in digits:
        digits = digits.replace(",", ".")  # a decimal comma: 0,35
    number = float(sign + digits)  # ValueError when it is still not a number
    if not math.isfinite(number):
        raise ValueError(text)
    return number / 100 if share else number


@dataclass(frozen=True)
class Feedback:
    """What a learner is told after checking an answer."""

    correct: bool
    direction: str | None  # "high", "low" or None
    hint: int | None  # which hint to show (0-based), None when correct or out of hints


@dataclass(frozen=True)
class Exercise:
    """A question with a numeric answer, accepted within ``tolerance`` (relative), and hints."""

    key: str
    params: dict[str, Any]
    answer: float
    tolerance: float = 0.01
    hints: int = 2

    def check(self, value: float, attempt: int) -> Feedback:
        """Judge ``value`` on the learner's ``attempt`` (1 = first try)."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return Feedback(False, None, 0)
        if math.isclose(value, self.answer, rel_tol=self.tolerance, abs_tol=1e-12):
            return Feedback(True, None, None)
        direction = "high" if value > self.answer else "low"
        hint = attempt - 1 if attempt - 1 < self.hints else None
        return Feedback(False, direction, hint)


@cache
def _catalogue(name: str) -> dict[str, dict[str, str]]:
    """Flatten the lesson's YAML into ``dotted.key -> {language: text}``."""
    data = yaml.safe_load((_CONTENT / f"{name}.yaml").read_text(encoding="utf-8"))
    flat: dict[str, dict[str, str]] = {}

    def walk(node: Any, prefix: str) -> None:
        if isinstance(node, dict) and set(node) <= set(LANGUAGES) and node:
            flat[prefix] = node
        elif isinstance(node, dict):
            for key, value in node.items():
                walk(value, f"{prefix}.{key}" if prefix else str(key))
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{prefix}.{i}")
        else:
            raise ValueError(f"{name}.yaml: {prefix}: expected a mapping of languages, got {node!r}")

    walk(data, "")
    return flat


class Lesson:
    """One lesson's text in the current language, its exercises, and the widgets showing them."""

    def __init__(self, name: str, exercises: dict[str, Exercise], language: str = "en"):
        self.name = name
        self.exercises = exercises
        self.language = language
        self._renderers: list[Callable[[], None]] = []
        self._catalogue = _catalogue(name)

    def keys(self) -> list[str]:
        """Every text key of the lesson."""
        return list(self._catalogue)

    def text(self, key: str, **params: Any) -> str:
        """The text for ``key`` in the current language, with ``{placeholders}`` filled."""
        entry = self._catalogue[key]
        return entry[self.language].format(**params) if params else entry[self.language]

    def term(self, raw: str) -> str:
        """A playbook's name (a team, a stage, a split method) in the current language: the lesson's
        ``names.<raw>`` entry, or ``raw`` itself when the lesson has none."""
        return self.text(f"names.{raw}") if f"names.{raw}" in self._catalogue else raw

    # ------------------------------------------------------------------ widgets

    def set_language(self, language: str) -> None:
        """Switch language and redraw everything shown so far."""
        if language not in LANGUAGES:
            raise ValueError(f"unknown language {language!r}; choose one of {', '.join(LANGUAGES)}")
        self.language = language
        for render in self._renderers:
            render()

    def _shown(self, render: Callable[[], None]):
        self._renderers.append(render)
        render()

    def language_switch(self):
        """Toggle buttons for the lesson's language; put it at the top of the notebook."""
        import ipywidgets as widgets

        switch = widgets.ToggleButtons(
            options=[(label, code) for code, label in LANGUAGES.items()], value=self.language, description=""
        )
        switch.observe(lambda change: self.set_language(change["new"]), names="value")
        return switch

    def markdown(self, key: str, heading: int = 0, **params: Any):
        """A block of the lesson's text (as a heading of that level, if given), redrawn when the language changes."""
        import ipywidgets as widgets
        from IPython.display import Markdown

        out = widgets.Output()
        prefix = "#" * heading + " " if heading else ""

        def render() -> None:
            show(out, Markdown(prefix + self.text(key, **params)))

        self._shown(render)
        return out

    def view(self, draw: Callable[[], Any]):
        """An output showing ``draw()`` (a chart or table), redrawn when the language changes."""
        import ipywidgets as widgets

        out = widgets.Output()

        def render() -> None:
            show(out, draw())

        self._shown(render)
        return out

    def exercise(self, key: str):
        """The exercise's question, an answer box, a check button, and feedback with hints."""
        import ipywidgets as widgets

        exercise = self.exercises[key]
        params = {**exercise.params, "answer": exercise.answer}
        question = self.markdown(f"exercises.{key}.question", **params)
        answer = widgets.Text(layout=widgets.Layout(width="10em"))
        button = widgets.Button(button_style="primary")
        feedback = widgets.HTML()
        state = {"attempts": 0, "last": None}

        def render_feedback() -> None:
            button.description = self.text("ui.check")
            result = state["last"]
            if result is None:
                feedback.value = ""
            elif result == "not a number":
                feedback.value = f"<span style='color:#9a6700'>{self.text('ui.not_a_number')}</span>"
            elif isinstance(result, AmbiguousNumber):
                whole, fraction = str(result).replace(",", ""), str(result).replace(",", ".")
                feedback.value = (
                    "<span style='color:#9a6700'>"
                    + self.text("ui.ambiguous", text=str(result), whole=whole, fraction=fraction)
                    + "</span>"
                )
            elif result.correct:
                feedback.value = f"<b style='color:#1a7f37'>{self.text('ui.correct')}</b> " + self.text(
                    f"exercises.{key}.explanation", **params
                )
            else:
                parts = [self.text(f"ui.too_{result.direction}")] if result.direction else []
                if result.hint is not None:
                    parts.append(self.text(f"exercises.{key}.hints.{result.hint}", **params))
                else:
                    parts.append(self.text(f"exercises.{key}.explanation", **params))
                feedback.value = "<span style='color:#9a6700'>" + " ".join(parts) + "</span>"

        def on_check(_button) -> None:
            try:
                value = read_number(answer.value)
            except AmbiguousNumber as ambiguous:
                state["last"] = ambiguous
            except ValueError:
                state["last"] = "not a number"
            else:
                state["attempts"] += 1
                state["last"] = exercise.check(value, state["attempts"])
            render_feedback()

        button.on_click(on_check)
        self._shown(render_feedback)
        return widgets.VBox([question, widgets.HBox([answer, button]), feedback])


def load_lesson(name: str, language: str = "en") -> Lesson:
    """The lesson called ``name`` (``sim/lessons/<name>.py`` defines its exercises)."""
    module = importlib.import_module(f"sim.lessons.{name}")
    return Lesson(name, module.exercises(), language)
