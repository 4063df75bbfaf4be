"""The dashboards in a real browser (Voila + headless Chromium): how long each page takes to load,
what the server holds after many visits, and slider-move-to-redrawn-chart latency.

Load: from asking for the page until its figures are shown, each page served as ``make dashboard``
serves it (``dashboard/voila.py``, the pages' own replication counts); the first visit to a fresh
server, then a second, and the annual plan served with a kernel kept ready for the next visit
(``make dashboard PREHEAT=1``), all beside the goal of 5 s. Memory: the annual plan opened and closed
``SALESPLAY_VISITS`` times (20 by default), the server's own memory after the first visit and after
the last, and the processes left (kernels, workers). Latency, each page as a director gets it (its own
replication counts): a slider moved 20 times (one keyboard step each, alternately right and left),
each move timed from the key press until both the figures and the chart on the page have changed
(the first figures: on the annual plan, the quick batch's), median and 90th percentile; on the
annual plan also until the refinement has reached the full count and says so.
"""

from __future__ import annotations

import os
import statistics
import time

import psutil
from playwright.sync_api import sync_playwright

from sim.settings import ANSWER_REPLICATIONS
from tests.browser.harness import CHROMIUM, CHROMIUM_ARGS, kernel_processes, open_dashboard, server_process, voila

MOVES = 20
GOAL_MS = 150  # first figures
FINAL_GOAL_S = 2  # the full count
LOAD_GOAL_S = 5
VISITS = int(os.environ.get("SALESPLAY_VISITS", "20"))
HANG_MS = 600_000  # a guard against a hang, not a measure
DASHBOARDS = {
    # notebook: (label of the slider to move, selector of the figures that are redrawn, selector of the
    # refinement's status or None for a page that answers once)
    "notebooks/director/annual_plan.ipynb": ("solutions reps", ".sp-figures", ".sp-status"),
    "notebooks/trainer/03_staffing_and_capacity.ipynb": ("reps", "p:has-text('predicted wait (Erlang C)')", None),
}
PAGES = {
    # notebook: selector of what shows the page is loaded (its figures). Not the allocation page: it
    # searches an allocation and plans the hires before it shows anything (a page of analyses).
    "notebooks/director/annual_plan.ipynb": ".sp-figures",
    "notebooks/director/incentive_design.ipynb": ".sp-incentive-difference",
    "notebooks/trainer/01_breaking_a_target_down.ipynb": ".widget-button",
    "notebooks/trainer/03_staffing_and_capacity.ipynb": "p:has-text('predicted wait (Erlang C)')",
}
ANNUAL_PLAN = "notebooks/director/annual_plan.ipynb"


def _visit(browser, url: str, selector: str) -> float:
    """Open the page, wait for ``selector``, close it and wait for its kernel's processes to end;
    the seconds until it showed ``selector``."""
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    start = time.perf_counter()
    page.goto(url, timeout=HANG_MS, wait_until="domcontentloaded")
    page.locator(selector).first.wait_for(timeout=HANG_MS)
    seconds = time.perf_counter() - start
    processes = kernel_processes(page, url)  # not a kernel Voila keeps ready for the next visit
    page.close(run_before_unload=True)
    psutil.wait_procs(processes, timeout=HANG_MS / 1000)
    context.close()
    return seconds


def _loads(browser) -> None:
    for notebook, selector in PAGES.items():
        with voila(notebook) as url:
            first, second = (_visit(browser, url, selector) for _ in range(2))
        print(f"  {notebook}: first visit {first:.1f} s, second {second:.1f} s (goal: < {LOAD_GOAL_S} s)")


def _idle(server: psutil.Process) -> None:
    """Wait until the server's kernels have stopped computing (no processor time used for a second)."""

    def busy() -> float:
        return sum(sum(p.cpu_times()[:2]) for p in server.children(recursive=True) if p.is_running())

    deadline = time.monotonic() + HANG_MS / 1000
    before = busy()
    while time.monotonic() < deadline:
        time.sleep(1)
        now = busy()
        if now - before < 0.05:
            return
        before = now
    raise TimeoutError("the server's kernels never went idle")


def _preheated(browser) -> None:
    """A visit to the annual plan served with ``make dashboard PREHEAT=1``, once the kernel kept
    ready has run the page."""
    with voila(ANNUAL_PLAN, "--preheat_kernel=True") as url:
        _idle(server_process(url))
        seconds = _visit(browser, url, PAGES[ANNUAL_PLAN])
    print(f"  {ANNUAL_PLAN} with PREHEAT=1, the kept kernel ready: {seconds:.1f} s (goal: < {LOAD_GOAL_S} s)")


def _memory(browser) -> None:
    mib = 2**20
    with voila(ANNUAL_PLAN) as url:
        server = server_process(url)
        _visit(browser, url, PAGES[ANNUAL_PLAN])
        settled = server.memory_info().rss
        for _ in range(VISITS - 1):
            _visit(browser, url, PAGES[ANNUAL_PLAN])
        left = server.children(recursive=True)
        print(
            f"  {ANNUAL_PLAN}, {VISITS} visits opened and closed: the server held {settled / mib:.0f} MiB after "
            f"the first, {server.memory_info().rss / mib:.0f} MiB after the last; processes left: {len(left)} "
            f"(goal: 0)"
        )


def _latencies(notebook: str, label: str, selector: str, status: str | None) -> list[tuple[float, float | None]]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        with open_dashboard(page, notebook, 180_000):
            latencies = _moves(page, notebook, label, selector, status)
        browser.close()
    return latencies


# A fingerprint of every image on the page: the length and a middle slice of its data URL.
_IMAGES = "() => Array.from(document.images, i => i.src.length + ':' + i.src.slice(i.src.length / 2, i.src.length / 2 + 64)).join('|')"


def _state(page, selector: str) -> tuple[str, str]:
    """The figures' text and the images' fingerprint (a new element replaces the old: query again)."""
    return page.locator(selector).first.inner_text(), page.evaluate(_IMAGES)


def _final(page, status: str) -> bool:
    return "final" in page.locator(status).first.inner_text()


def _moves(page, notebook: str, label: str, selector: str, status: str | None) -> list[tuple[float, float | None]]:
    """Move the slider ``MOVES`` times; for each move the seconds until figures and chart are redrawn and,
    on a page that refines, until the refinement says it has reached the full count."""
    page.locator(selector).first.wait_for(timeout=HANG_MS)
    handle = page.locator(".widget-slider", has_text=label).locator(".noUi-handle").first
    handle.focus()
    latencies = []
    for move in range(MOVES):
        if status is not None:
            _until(lambda: _final(page, status), notebook, "the refinement did not end")
        before = _state(page, selector)
        start = time.perf_counter()
        handle.press("ArrowRight" if move % 2 == 0 else "ArrowLeft")
        _until(
            lambda before=before: all(now != then for now, then in zip(_state(page, selector), before)),
            notebook,
            "the figures and chart did not change",
        )
        first = time.perf_counter() - start
        final = None
        if status is not None:  # the quick batch's status says "refining" (its count is below the full one)
            _until(lambda: _final(page, status), notebook, "the refinement did not end")
            final = time.perf_counter() - start
        latencies.append((first, final))
    return latencies


def _until(condition, notebook: str, failure: str) -> None:
    deadline = time.perf_counter() + HANG_MS / 1000
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError(f"{notebook}: {failure}")
        time.sleep(0.002)


def _quantiles(values: list[float]) -> tuple[float, float]:
    """The median and the 90th percentile."""
    ordered = sorted(values)
    return statistics.median(ordered), ordered[int(0.9 * (len(ordered) - 1))]


def main() -> None:
    given = os.environ.get("SALESPLAY_REPLICATIONS")
    os.environ["SALESPLAY_REPLICATIONS"] = "default"  # the pages as a director gets them
    try:
        print("page load, from asking for the page until its figures are shown in Chromium:")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            _loads(browser)
            _preheated(browser)
            print("server memory:")
            _memory(browser)
            browser.close()
        print(f"slider move -> redrawn figures and chart in Chromium, {MOVES} moves:")
        for notebook, (label, selector, status) in DASHBOARDS.items():
            latencies = _latencies(notebook, label, selector, status)
            median, p90 = _quantiles([first * 1000 for first, _ in latencies])
            line = f"  {notebook}: first figures median {median:.0f} ms, p90 {p90:.0f} ms (goal: median < {GOAL_MS} ms)"
            if status is not None:
                median, p90 = _quantiles([final for _, final in latencies])
                line += (
                    f"; the full count ({ANSWER_REPLICATIONS:,} replications) median {median:.1f} s, "
                    f"p90 {p90:.1f} s (goal: median < {FINAL_GOAL_S} s)"
                )
            print(line)
    finally:
        os.environ.pop("SALESPLAY_REPLICATIONS")
        if given is not None:
            os.environ["SALESPLAY_REPLICATIONS"] = given
