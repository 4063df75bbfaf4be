"""Serving notebooks with Voila or JupyterLab on 127.0.0.1 and driving them in Debian's Chromium.

Browsers cannot be downloaded here: Playwright launches the system Chromium
(``/usr/bin/chromium``, from Debian's ``chromium`` package, which ``.ci/run`` installs).
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("SALESPLAY_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    # Only this machine answers: any other host fails at once instead of waiting on DNS.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
]
SCREENSHOTS = ROOT / "out" / "screenshots"
SERVER_LOGS = ROOT / "out" / "servers"
VOILA_CONFIG = ROOT / "dashboard"  # voila.py: the template, kernels shut down and culled (as `make dashboard`)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _environment() -> dict[str, str]:
    """The server's environment: few replications unless told (``SALESPLAY_REPLICATIONS=default``: the
    pages' own counts, as ``make dashboard`` serves them)."""
    env = dict(os.environ)
    env.setdefault("SALESPLAY_REPLICATIONS", "4")
    if env["SALESPLAY_REPLICATIONS"] == "default":
        del env["SALESPLAY_REPLICATIONS"]
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def _wait_for(port: int, process: subprocess.Popen, log: Path, timeout: float = 90) -> None:
    """Wait until the server accepts connections (a TCP connect: a GET would make Voila run the notebook)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{log.read_text()}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=2):
            return
        time.sleep(0.3)
    raise TimeoutError(f"port {port} did not answer within {timeout} s:\n{log.read_text()}")


@contextlib.contextmanager
def serve(command: list[str], port: int, url: str, new_session: bool = False) -> Iterator[str]:
    """Run a notebook server until the block ends; yield its URL once it listens.

    The server writes to a log file (:func:`server_log`), never to a pipe nobody reads (a full pipe
    would block it); when the block fails, the log's end goes to stderr, which pytest shows with the
    failure. With ``new_session``, the server and its kernels are a process group of their own, which
    a test may signal as a terminal's Ctrl-C would.
    """
    SERVER_LOGS.mkdir(parents=True, exist_ok=True)
    log = server_log(url)
    with log.open("w") as output:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=_environment(),
            stdout=output,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=new_session,
            preexec_fn=_ctrl_c_as_in_a_terminal if new_session else None,
        )
    try:
        _wait_for(port, process, log)
        yield url
    except BaseException:
        sys.stderr.write(f"--- end of {log} ---\n{log.read_text()[-20_000:]}\n")
        raise
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def _ctrl_c_as_in_a_terminal() -> None:
    """SIGINT's default action in the server, as a terminal gives it: a test runner started in the background
    (CI, nohup) ignores SIGINT, a child inherits that, and Python then leaves Ctrl-C ignored."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def server_log(url: str) -> Path:
    """Where the server listening at ``url`` writes its log."""
    return SERVER_LOGS / f"server-{urlsplit(url).port}.log"


def voila(notebook: str, *options: str, new_session: bool = False) -> contextlib.AbstractContextManager[str]:
    """Serve ``notebook`` (a path from the project root) as a Voila app on 127.0.0.1, with Voila's
    command-line ``options`` added (``new_session``: see :func:`serve`).

    The log is at debug level: it shows each cell's execution, so a hang names its cell.
    """
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "voila",
        notebook,
        "--no-browser",
        f"--port={port}",
        "--Voila.ip=127.0.0.1",
        f"--Voila.config_file_paths={VOILA_CONFIG}",
        "--show_tracebacks=True",
        "--debug",
        *options,
    ]
    return serve(command, port, f"http://127.0.0.1:{port}/", new_session)


def kernel_processes(page, url: str) -> list:
    """The kernel of the Voila ``page`` served from ``url`` and its worker processes (``psutil.Process``)."""
    kernel_id = page.evaluate("() => JSON.parse(document.getElementById('jupyter-config-data').textContent).kernelId")
    kernel = next(p for p in server_process(url).children() if f"kernel-{kernel_id}.json" in " ".join(p.cmdline()))
    return [kernel, *kernel.children(recursive=True)]


def server_process(url: str):
    """The server process (a ``psutil.Process``) this test session started to listen at ``url``."""
    import psutil  # installed with ipykernel, which every notebook server needs

    return next(p for p in psutil.Process().children() if f"--port={urlsplit(url).port}" in p.cmdline())


@contextlib.contextmanager
def open_dashboard(page, notebook: str, timeout_ms: float = 120_000, attempts: int = 2) -> Iterator[str]:
    """Serve ``notebook`` with Voila and load it in ``page``, which ends rendering all its cells.

    Seldom, on a loaded machine, a freshly started kernel never answers and the page never
    completes (the server's log then ends at "Kernel started"); a second server is tried
    once, and the first one's log goes to stderr, so the test report shows what happened.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for attempt in range(1, attempts + 1):
        with voila(notebook) as url:
            try:
                page.goto(url, timeout=timeout_ms, wait_until="domcontentloaded")
            except PlaywrightTimeout:
                if attempt == attempts:
                    raise
                log = server_log(url)
                sys.stderr.write(
                    f"{notebook}: no page within {timeout_ms / 1000:.0f} s; trying a new server. "
                    f"The first one's log:\n{log.read_text()[-5_000:]}\n"
                )
                continue
            yield url
            return


def jupyterlab(notebook: Path) -> contextlib.AbstractContextManager[str]:
    """Serve JupyterLab on 127.0.0.1 (no token) rooted at the notebook's folder, with the notebook open.

    Pass a copy: JupyterLab saves outputs into the file it runs.
    """
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "jupyter",
        "lab",
        "--no-browser",
        f"--port={port}",
        "--ServerApp.ip=127.0.0.1",
        "--IdentityProvider.token=",
        "--ServerApp.password=",
        "--ServerApp.disable_check_xsrf=True",
        f"--ServerApp.root_dir={notebook.parent}",
        "--allow-root",
    ]
    return serve(command, port, f"http://127.0.0.1:{port}/lab/tree/{notebook.name}")


# Every piece of visible text the reader cannot see whole: a label or button whose text does not fit its
# box (the browser cuts it with an ellipsis), or a text whose glyphs reach past the window (1280 px wide
# in the tests) or past the box of an element around it that clips or scrolls what overflows it; and every
# control (a dropdown, a text box) that reaches past them the same way, its edge or its arrow cut.
_CLIPPED = """() => {
    const cut = [];
    for (const e of document.querySelectorAll('.widget-label, .widget-label-basic, button'))
        if (e.offsetParent !== null && e.scrollWidth > e.clientWidth + 1) cut.push(e.innerText);
    const width = document.documentElement.clientWidth;
    const outside = (r, e) => {  // the box r, in element e, lies outside the window or an element that clips
        let out = r.left < -1 || r.right > width + 1;
        for (let a = e; a && a !== document.body && !out; a = a.parentElement) {
            const style = getComputedStyle(a), box = a.getBoundingClientRect();
            const scrolls = [style.overflowX, style.overflowY].some(o => o === 'auto' || o === 'scroll');
            out = r.left < box.left - 1 || r.right > box.right + 1;  // cut, or to be scrolled to sideways
            if (scrolls) {
                if (!out) break;  // the page's own scrolling: above it, where a box lies depends on the scroll
            } else if (style.overflowX === 'visible') {
                out = false;  // overflow shown (a neighbour's box may be crossed, nothing is cut)
            }
            if (!scrolls && ['hidden', 'clip'].includes(style.overflowY))
                out = out || r.top < box.top - 1 || r.bottom > box.bottom + 1;
        }
        return out;
    };
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const range = document.createRange();
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const e = node.parentElement;
        if (!node.textContent.trim() || !e || ['SCRIPT', 'STYLE'].includes(e.tagName)) continue;
        range.selectNodeContents(node);
        const r = range.getBoundingClientRect();  // the text itself, not its element's box
        if (r.width === 0 || r.height === 0 || getComputedStyle(e).visibility === 'hidden') continue;
        if (outside(r, e)) cut.push(node.textContent.trim().slice(0, 80));
    }
    for (const control of document.querySelectorAll('select, input, textarea'))
        if (control.offsetParent !== null && outside(control.getBoundingClientRect(), control.parentElement))
            cut.push(`${control.tagName.toLowerCase()} ${control.value}`.slice(0, 80));
    return cut;
}"""


def clipped_labels(page) -> list[str]:
    """The visible text that is cut: labels and buttons wider than their box, and any text or control
    (a dropdown, a text box; named by its tag and value) lying outside the window or outside an element
    around it that clips or scrolls its overflow."""
    return page.evaluate(_CLIPPED)


def python_reprs(page) -> list[str]:
    """Tracebacks and Python reprs (a dict, ``nan``, ``inf``) shown on the page."""
    text = page.locator("body").inner_text()
    return [
        pattern for pattern in (r"Traceback", r"\{'", r"\bnan\b", r"\binf\b", r"\w+Error:") if re.search(pattern, text)
    ]
