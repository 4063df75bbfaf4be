"""Lesson 5, designing incentives: complete in both languages, answers hand-worked, the experiment runs."""

from __future__ import annotations

import re
import string

import pytest

from sim.lessons import LANGUAGES, load_lesson


def _fields(text: str) -> set[str]:
    return {name.split(".")[0] for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_text_in_both_languages_with_the_same_placeholders():
    lesson = load_lesson("incentives")
    for key in lesson.keys():
        texts = {language: lesson._catalogue[key][language] for language in LANGUAGES}
        assert all(t.strip() for t in texts.values()), key
        assert len({frozenset(_fields(t)) for t in texts.values()}) == 1, f"{key}: placeholders differ"
    chinese = [lesson._catalogue[k]["zh"] for k in lesson.keys()]
    assert sum(bool(re.search(r"[\u4e00-\u9fff]", t)) for t in chinese) >= 0.8 * len(chinese)


def test_every_exercise_formats_its_question_hints_and_explanation():
    lesson = load_lesson("incentives")
    for key, exercise in lesson.exercises.items():
        params = {**exercise.params, "answer": exercise.answer}
        for language in LANGUAGES:
            lesson.language = language
            for part in ("question", "explanation", *(f"hints.{h}" for h in range(exercise.hints))):
                lesson.text(f"exercises.{key}.{part}", **params)


def test_answers_are_the_hand_worked_ones():
    ex = load_lesson("incentives").exercises
    assert ex["tiered"].answer == pytest.approx(0.08 * 360_000 + 0.12 * 60_000)  # 36,000
    assert ex["retroactive"].answer == pytest.approx(0.12 * 420_000)  # 50,400
    assert ex["cap"].answer == pytest.approx(360_000 + (30_000 - 28_800) / 0.12)  # 370,000
    assert ex["pull_in"].answer == pytest.approx(0.08 * 160_000)  # from nothing to 12,800


def test_feedback_and_the_explanation_in_chinese():
    lesson = load_lesson("incentives")
    box = lesson.exercise("cap")
    _, row, feedback = box.children
    answer, button = row.children
    answer.value = "400000"
    button.click()
    assert "Too high." in feedback.value and "120% of quota" in feedback.value
    lesson.set_language("zh")
    answer.value = "370000"
    button.click()
    assert "正确！" in feedback.value and "370,000" in feedback.value


def test_experiment_plan_and_panel():
    from sim.lessons.incentives import experiment_panel, lesson_plan

    plan = lesson_plan(top_rate=0.14, cap=60_000, threshold=0.5, elasticity=1.0)
    assert [t.rate for t in plan.commission.tiers] == [0.08, 0.14]
    assert (plan.commission.cap, plan.commission.threshold, plan.behaviour.elasticity) == (60_000, 0.5, 1.0)
    assert lesson_plan(0.12, 0, 0).commission.cap is None
    assert lesson_plan(0.12, 0, 0).behaviour.elasticity == 0  # the reps do not respond unless assumed to
    lesson = load_lesson("incentives")
    panel = experiment_panel(lesson, replications=2)
    top = panel.children[0].children[0]
    assert top.description == "rate above 120%"
    sliders = [w.description for box in panel.children[:2] for w in box.children]
    assert not any("response" in d for d in sliders)  # the response is no lever: it is the band shown below
    lesson.set_language("zh")
    assert top.description == "120%以上费率"


def test_the_response_is_a_band_and_no_response_earns_nothing_extra():
    """At elasticity 0 the plans are paid on the same deals: no extra revenue, only the cost differs. The band
    has the three assumed strengths, in order."""
    import sim
    from sim.lessons.incentives import ELASTICITIES, PLAYBOOK, lesson_plan, response_band

    assert ELASTICITIES == (0.0, 0.5, 1.0)
    results = sim.simulate(sim.load(PLAYBOOK), replications=2, seed=3, engine="fast", progress=False)
    band = response_band(results, lesson_plan(0.14, 60_000, 0.5))
    assert band.index.tolist() == [0.0, 0.5, 1.0]
    assert band.loc[0.0, "extra_revenue"] == 0.0
    assert band.loc[0.0, "quarter_end"] == band.loc[0.0, "flat_quarter_end"]
    assert band.loc[0.0, "extra_cost"] != 0.0
    assert (band.loc[[0.5, 1.0], "extra_revenue"] != 0.0).any()  # a response changes the sales, one way or the other
