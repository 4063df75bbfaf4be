"""Slider-move-to-redrawn-chart latency in a real browser (Voila + headless Chromium).

Moves a slider 20 times (one keyboard step each) and times each move from the key press to
the moment the redrawn figures appear on the page; prints the median and the 90th
percentile beside the goal of 300 ms.
"""

from __future__ import annotations

import os
import statistics
import time

from playwright.sync_api import sync_playwright

from tests.browser.harness import CHROMIUM, CHROMIUM_ARGS, voila

MOVES = 20
GOAL_MS = 300
DASHBOARDS = {
    # notebook: (index of the slider handle to move, text that marks the redrawn figures)
    "notebooks/trainer/03_staffing_and_capacity.ipynb": (1, "predicted wait (Erlang C)"),
}


# The figures are redrawn as a new element: find it again by its text and compare.
_CHANGED = """([marker, old]) => {
    const el = [...document.querySelectorAll('p')].find(p => p.innerText.includes(marker));
    return el !== undefined && el.innerText !== old;
}"""


def _latencies(notebook: str, handle_index: int, marker: str) -> list[float]:
    with voila(notebook) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.goto(url, timeout=180_000)
        figures = page.get_by_text(marker).first
        figures.wait_for(timeout=180_000)
        handle = page.locator(".noUi-handle").nth(handle_index)
        handle.focus()
        latencies = []
        for move in range(MOVES):
            before = figures.inner_text()
            start = time.perf_counter()
            handle.press("ArrowRight" if move % 2 == 0 else "ArrowLeft")
            page.wait_for_function(_CHANGED, arg=[marker, before], timeout=60_000)
            latencies.append((time.perf_counter() - start) * 1000)
        browser.close()
    return latencies


def main() -> None:
    replications = os.environ.setdefault("SALESPLAY_REPLICATIONS", "20")
    print(f"slider move -> redrawn figures in Chromium, {MOVES} moves, {replications} replications per redraw:")
    for notebook, (handle, marker) in DASHBOARDS.items():
        ms = sorted(_latencies(notebook, handle, marker))
        p90 = ms[int(0.9 * (len(ms) - 1))]
        print(f"  {notebook}: median {statistics.median(ms):.0f} ms, p90 {p90:.0f} ms (goal: median < {GOAL_MS} ms)")
