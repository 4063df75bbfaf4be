"""The dashboard server lasts (``make dashboard``'s settings, ``dashboard/voila.py``): pages closed
leave no kernel or worker process behind and the server's memory where it was; stopping the server
with Ctrl-C prints no traceback. (That no page asks for anything outside this machine is checked on
every page: ``conftest.py``.)

The visits are of the annual plan, the page whose kernel starts worker processes.
``SALESPLAY_VISITS`` sets how many (20 by default; `make test` opens 5); each is waited for by its states (the refined
figures on the page, its workers started, then every process of its kernel gone), never by the clock.
"""

from __future__ import annotations

import os
import signal

import psutil
import pytest

from tests.browser.harness import kernel_processes, server_log, server_process, voila

pytestmark = pytest.mark.xdist_group("browser")

NOTEBOOK = "notebooks/director/annual_plan.ipynb"
VISITS = int(os.environ.get("SALESPLAY_VISITS", "20"))
HANG = 600  # s: a guard against a hang, not a measure of speed (a page's kernel starts and simulates)
MEMORY_SLACK = 100 * 2**20  # bytes: a kernel left behind holds several times this, its workers as much again
# s: how long a kernel no page is connected to may idle before the server culls it. The server cannot tell a
# page that has gone from one still connecting: between the page's cells finishing and the browser opening its
# connection to the kernel, the kernel idles with no connection. That gap is short on a quiet
# machine, and once passed 2 s with two suites at once on two cores, so the kernel was culled before the page
# could refine. A limit many times the gap keeps that from happening; the culling itself is waited for by state.
CULL_IDLE = 30


@pytest.fixture(autouse=True)
def _refined(monkeypatch):
    """Pages that refine: 40 replications, the first 10 simulated in the kernel, the rest on its workers,
    the processes these tests must see end."""
    monkeypatch.setenv("SALESPLAY_REPLICATIONS", "40")


def _open(browser, url: str):
    """A page of its own (a fresh browser context) at ``url``, shown with its refined figures (its workers
    started)."""
    page = browser.new_context(viewport={"width": 1280, "height": 1000}).new_page()
    page.goto(url, timeout=HANG * 1000, wait_until="domcontentloaded")
    page.locator(".sp-status", has_text="final").wait_for(timeout=HANG * 1000)
    return page


def _visit(browser, server: psutil.Process, url: str) -> None:
    """Open the page, close it as a reader would, and wait until its kernel and workers have ended."""
    page = _open(browser, url)
    processes = kernel_processes(page, url)
    assert len(processes) >= 3, processes  # the kernel and its workers: what the visit must not leave behind
    page.close(run_before_unload=True)  # the page asks the server to shut its kernel down as it goes
    _, alive = psutil.wait_procs(processes, timeout=HANG)
    page.context.close()
    assert alive == []


def test_pages_closed_leave_no_kernel_or_worker_and_memory_where_it_was(browser):
    # Culling off: only the pages' own shutdown requests can end their kernels here.
    with voila(NOTEBOOK, "--MappingKernelManager.cull_idle_timeout=0") as url:
        server = server_process(url)
        _visit(browser, server, url)  # the server loads its templates and handlers on the first visit
        settled = server.memory_info().rss
        for _ in range(VISITS - 1):
            _visit(browser, server, url)
        assert server.children(recursive=True) == []
        assert server.memory_info().rss - settled < MEMORY_SLACK


def test_kernels_of_pages_gone_without_a_word_are_culled(browser):
    # A browser that crashed sends no shutdown request: the server culls the kernel once idle.
    with voila(
        NOTEBOOK, f"--MappingKernelManager.cull_idle_timeout={CULL_IDLE}", "--MappingKernelManager.cull_interval=1"
    ) as url:
        page = _open(browser, url)
        processes = kernel_processes(page, url)
        page.context.close()  # no beforeunload: nothing is asked of the server
        _, alive = psutil.wait_procs(processes, timeout=HANG)
        assert alive == []


def test_ctrl_c_stops_the_server_and_its_kernel_without_a_traceback(browser):
    with voila(NOTEBOOK, new_session=True) as url:
        server = server_process(url)
        page = _open(browser, url)
        processes = server.children(recursive=True)  # the kernel, its workers and their helper
        os.killpg(server.pid, signal.SIGINT)  # what Ctrl-C in the terminal does: every process of the group
        _, alive = psutil.wait_procs([server, *processes], timeout=HANG)
        page.context.close()
        assert alive == []
        log = server_log(url).read_text()
        assert "Traceback" not in log and "KeyboardInterrupt" not in log, log[-5000:]
