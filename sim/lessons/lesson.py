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
"""

from __future__ import annotations

import importlib
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Callable

import yaml

from sim.widgets import show

__all__ = ["LANGUAGES", "Exercise", "Feedback", "Lesson", "load_lesson"]

LANGUAGES = {"en": "English", "zh": "中文"}
_CONTENT = Path(__file__).with_name("content")


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

        switch = widgets.ToggleButtons(options=[(label, code) for code, label in LANGUAGES.items()],
                                       value=self.language, description="")
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
            elif result.correct:
                feedback.value = (f"<b style='color:#1a7f37'>{self.text('ui.correct')}</b> "
                                  + self.text(f"exercises.{key}.explanation", **params))
            else:
                parts = [self.text(f"ui.too_{result.direction}")] if result.direction else []
                if result.hint is not None:
                    parts.append(self.text(f"exercises.{key}.hints.{result.hint}", **params))
                else:
                    parts.append(self.text(f"exercises.{key}.explanation", **params))
                feedback.value = "<span style='color:#9a6700'>" + " ".join(parts) + "</span>"

        def on_check(_button) -> None:
            try:
                value = float(answer.value.strip().replace(",", ".").rstrip("%"))
            except ValueError:
                state["last"] = "not a number"
            else:
                value = value / 100 if answer.value.strip().endswith("%") else value
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
