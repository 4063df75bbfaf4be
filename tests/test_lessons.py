"""The trainer's lessons: complete in both languages, exercises checked with hints."""

from __future__ import annotations

import re
import string

import pytest

import sim

from sim.lessons import LANGUAGES, load_lesson
from sim.lessons.lesson import _CONTENT

LESSONS = sorted(p.stem for p in _CONTENT.glob("*.yaml"))


def _fields(text: str) -> set[str]:
    return {name.split(".")[0] for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("name", LESSONS)
def test_every_text_exists_in_every_language_with_the_same_placeholders(name):
    lesson = load_lesson(name)
    for key in lesson.keys():
        texts = {}
        for language in LANGUAGES:
            lesson.language = language
            texts[language] = lesson._catalogue[key][language]
            assert texts[language].strip(), f"{name}: {key}: empty in {language}"
        assert len({frozenset(_fields(t)) for t in texts.values()}) == 1, f"{name}: {key}: placeholders differ"
    chinese = [lesson._catalogue[k]["zh"] for k in lesson.keys()]
    assert sum(bool(re.search(r"[\u4e00-\u9fff]", t)) for t in chinese) >= 0.8 * len(chinese)


@pytest.mark.parametrize("name", LESSONS)
def test_every_exercise_has_question_hints_and_explanation_that_format(name):
    lesson = load_lesson(name)
    for key, exercise in lesson.exercises.items():
        params = {**exercise.params, "answer": exercise.answer}
        for language in LANGUAGES:
            lesson.language = language
            lesson.text(f"exercises.{key}.question", **params)
            lesson.text(f"exercises.{key}.explanation", **params)
            for hint in range(exercise.hints):
                lesson.text(f"exercises.{key}.hints.{hint}", **params)


def test_capacity_answers_are_the_hand_worked_ones():
    ex = load_lesson("capacity").exercises
    assert ex["utilisation"].answer == pytest.approx(7 * 1.2 / 10)
    assert ex["reps_needed"].answer == 21  # 14 x 1.2 = 16.8 rep-days a day, / 0.8 = 21
    assert 5 < ex["wait_ratio"].answer < 9  # Erlang C, 10 reps: 84% -> 96% utilisation


def test_target_answers_are_the_hand_worked_ones():
    ex = load_lesson("targets").exercises
    assert ex["monthly"].answer == pytest.approx(12_000_000 / 11)  # the 11+1 plan
    assert ex["leads"].answer == pytest.approx(2_000_000 / 40_000 / 0.5 / 0.5 / 0.3)
    assert ex["per_rep"].answer == pytest.approx(2_000_000 * 1.1 / 40_000 / 0.5 / 0.5 / 0.3 / 4 / 21)


def test_funnel_answers_are_the_hand_worked_ones():
    ex = load_lesson("funnel").exercises
    assert ex["wins"].answer == pytest.approx(1000 * 0.3 * 0.5 * 0.5 * 0.8)  # 60 deals
    assert ex["benchmark"].answer == pytest.approx(5 / 3)
    assert ex["fix_first"].answer == 1  # +5 points on 30% beats +5 on 50% or 80%


def test_conversion_change_moves_every_tier_and_stays_a_probability():
    from sim.lessons.funnel import PLAYBOOK, with_conversion_change

    scenario = sim.load(PLAYBOOK)
    changed = with_conversion_change(scenario, {"qualify": 0.1, "negotiation": -0.9})
    assert changed.stages[0].conversion == pytest.approx({"A": 0.7, "B": 0.45, "C": 0.25})
    assert changed.stages[3].conversion == {"A": 0.0, "B": 0.0, "C": 0.0}
    assert changed.stages[1:3] == scenario.stages[1:3]


def test_feedback_gives_direction_then_hints_then_the_explanation():
    exercise = load_lesson("capacity").exercises["utilisation"]
    assert exercise.check(0.84, 1).correct
    first, second, third = (exercise.check(0.5, attempt) for attempt in (1, 2, 3))
    assert (first.correct, first.direction, first.hint) == (False, "low", 0)
    assert (second.hint, third.hint) == (1, None)  # out of hints: the explanation is shown
    assert exercise.check(1.2, 1).direction == "high"


def test_exercise_widget_checks_and_switches_language():
    lesson = load_lesson("capacity")
    box = lesson.exercise("utilisation")
    _, row, feedback = box.children
    answer, button = row.children
    answer.value = "lots"
    button.click()
    assert "Please enter a number" in feedback.value
    answer.value = "50%"
    button.click()
    assert "Too low." in feedback.value and "work arriving per day" in feedback.value
    lesson.set_language("zh")
    assert button.description == "检查"
    assert "偏低了。" in feedback.value
    answer.value = "0,84"
    button.click()
    assert "正确！" in feedback.value and "0.84" in feedback.value


@pytest.mark.parametrize(
    "text, value",
    [
        ("1,090,909", 1_090_909),
        ("1.090.909", 1_090_909),
        ("1 090 909", 1_090_909),
        ("1,090,909.5", 1_090_909.5),
        ("1.090.909,5", 1_090_909.5),
        ("0,35", 0.35),
        ("0,350", 0.35),
        ("12,5", 12.5),
        ("75%", 0.75),
        ("1.500", 1.5),
        ("-3", -3),
    ],
)
def test_answers_read_thousands_separators_and_decimal_commas(text, value):
    from sim.lessons.lesson import read_number

    assert read_number(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["1,500", "-2,000", "10,000"])
def test_a_number_that_reads_two_ways_is_refused_not_guessed(text):
    from sim.lessons.lesson import AmbiguousNumber, read_number

    with pytest.raises(AmbiguousNumber):
        read_number(text)


@pytest.mark.parametrize("text", ["abc", "1,5,6", "inf", "", "%"])
def test_what_is_not_a_number_is_refused(text):
    from sim.lessons.lesson import read_number

    with pytest.raises(ValueError):
        read_number(text)


def test_the_exercise_says_which_two_numbers_an_ambiguous_answer_could_be():
    lesson = load_lesson("targets")
    box = lesson.exercise("monthly")
    answer, button = box.children[1].children
    feedback = box.children[2]
    answer.value = "1,500"
    button.click()
    assert "1500" in feedback.value and "1.500" in feedback.value
    lesson.set_language("zh")
    assert "两种读法" in feedback.value
    answer.value = f"{lesson.exercises['monthly'].answer:,.0f}"  # 1,090,909: thousands commas
    button.click()
    assert "正确" in feedback.value


def test_chinese_lessons_name_split_methods_teams_and_stages_in_chinese():
    from sim.lessons.targets import experiment_panel as targets_panel

    lesson = load_lesson("targets", "zh")
    panel = targets_panel(lesson)
    method = panel.children[0].children[1]
    assert [label for label, _ in method.options][2] == "11个月+储备月" and method.value == "reserve"
    lesson.set_language("en")
    assert method.value == "reserve" and method.options[2][0] == "11 months + reserve month"
    funnel = load_lesson("funnel", "zh")
    assert [funnel.term(s) for s in ("qualify", "solutions", "unknown")] == ["线索获取", "解决方案顾问", "unknown"]


def test_an_overloaded_team_is_said_to_grow_without_limit_not_inf(monkeypatch):
    import sim.lessons.capacity as capacity

    shown = []
    monkeypatch.setattr(capacity, "show", lambda out, *objects: shown.append(objects))
    lesson = load_lesson("capacity")
    panel = capacity.experiment_panel(lesson, replications=1)
    rate, reps = panel.children[0].children
    reps.value = 4  # 7 leads a day x 1.2 rep-days on 4 reps: over capacity
    text = shown[-1][0].data
    assert "grows without limit" in text and "inf" not in text
    lesson.set_language("zh")
    assert "无限增长" in shown[-1][0].data
