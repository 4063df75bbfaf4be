"""``make bench`` writes docs/performance.md: a run of some modules replaces their sections and keeps the
others (no benchmark runs here)."""

from __future__ import annotations

import datetime as dt

from benchmarks.__main__ import INTRO, machine, section, sections, write_page
from tests.conftest import ROOT


def test_a_run_replaces_its_sections_and_keeps_the_others(tmp_path):
    page = tmp_path / "performance.md"
    when = dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.timezone.utc)
    write_page(
        {"des": section("bench_des", "old des figures", when), "fast": section("bench_fast", "fast figures", when)},
        page,
    )
    write_page({"des": section("bench_des", "new des figures", when)}, page)
    text = page.read_text(encoding="utf-8")
    assert text.startswith(INTRO) and list(sections(text)) == ["des", "fast"]
    assert "new des figures" in text and "old des figures" not in text and "fast figures" in text
    assert f"_2026-12-01 09:30 UTC · {machine()}" in sections(text)["des"]


def test_the_committed_page_has_a_section_per_benchmark():
    modules = {p.stem.removeprefix("bench_") for p in (ROOT / "benchmarks").glob("bench_*.py")}
    assert set(sections((ROOT / "docs" / "performance.md").read_text(encoding="utf-8"))) == modules
