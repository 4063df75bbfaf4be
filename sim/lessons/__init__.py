"""The trainer's course: interactive lessons for newly promoted sales managers, in English and Chinese.

A lesson is text (``sim/lessons/content/<name>.yaml``, every entry in ``en`` and ``zh``),
exercises whose answers are computed by the simulator or the analytic formulas (never typed
in), and an experiment. Notebooks under ``notebooks/trainer/`` only arrange the pieces.

Examples
--------
>>> lesson = load_lesson("capacity")
>>> lesson.text("title")
'Lesson 3 — Staffing and capacity: why more leads without reps fails'
>>> lesson.language = "zh"
>>> lesson.text("title")
'第3课 — 人员与产能：只加线索不加人为什么会失败'
"""

from sim.lessons.lesson import LANGUAGES, Exercise, Feedback, Lesson, load_lesson

__all__ = ["LANGUAGES", "Exercise", "Feedback", "Lesson", "load_lesson"]
