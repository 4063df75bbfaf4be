"""Slider-move-to-redrawn-chart latency in a real browser (Voila + headless Chromium).

Moves a slider 20 times (one keyboard step each, alternately right and left) and times each
move from the key press until both the figures and the chart on the page have changed;
prints the median and the 90th percentile beside the goal of 300 ms.
"""

from __future__ import annotations

import os
import statistics
import time

from playwright.sync_api import sync_playwright

from tests.browser.harness import CHROMIUM, CHROMIUM_ARGS, open_dashboard

MOVES = 20
GOAL_MS = 300
DASHBOARDS = {
    # notebook: (label of the slider to move, selector of the figures that are redrawn)
    "notebooks/director/annual_plan.ipynb": ("solutions reps", ".sp-figures"),
    "notebooks/trainer/03_staffing_and_capacity.ipynb": ("reps", "p:has-text('predicted wait (Erlang C)')"),
}


def _latencies(notebook: str, label: str, selector: str) -> list[float]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        with open_dashboard(page, notebook, 180_000):
            latencies = _moves(page, notebook, label, selector)
        browser.close()
    return latencies


# A fingerprint of every image on the page: the length and a middle slice of its data URL.
_IMAGES = "() => Array.from(document.images, i => i.src.length + ':' + i.src.slice(i.src.length / 2, i.src.length / 2 + 64)).join('|')"


def _state(page, selector: str) -> tuple[str, str]:
    """The figures' text and the images' fingerprint (a new element replaces the old: query again)."""
    return page.locator(selector).first.inner_text(), page.evaluate(_IMAGES)


def _moves(page, notebook: str, label: str, selector: str) -> list[float]:
    """Move the slider ``MOVES`` times; the latency of each move until figures and chart are redrawn, in ms."""
    page.locator(selector).first.wait_for(timeout=180_000)
    handle = page.locator(".widget-slider", has_text=label).locator(".noUi-handle").first
    handle.focus()
    latencies = []
    for move in range(MOVES):
        figures, images = _state(page, selector)
        start = time.perf_counter()
        handle.press("ArrowRight" if move % 2 == 0 else "ArrowLeft")
        while True:
            now_figures, now_images = _state(page, selector)
            if now_figures != figures and now_images != images:
                break
            if time.perf_counter() - start > 60:
                raise TimeoutError(f"{notebook}: the figures and chart did not change within 60 s")
            time.sleep(0.002)
        latencies.append((time.perf_counter() - start) * 1000)
    return latencies


def main() -> None:
    replications = os.environ.setdefault("SALESPLAY_REPLICATIONS", "20")
    print(f"slider move -> redrawn figures and chart in Chromium, {MOVES} moves, {replications} replications per redraw:")
    for notebook, (label, selector) in DASHBOARDS.items():
        ms = sorted(_latencies(notebook, label, selector))
        p90 = ms[int(0.9 * (len(ms) - 1))]
        print(f"  {notebook}: median {statistics.median(ms):.0f} ms, p90 {p90:.0f} ms (goal: median < {GOAL_MS} ms)")
