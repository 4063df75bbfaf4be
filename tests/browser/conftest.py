"""Browser fixtures: one headless Chromium per test session."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.browser.harness import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium package")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


# What a page may ask for: this machine's servers and what the page holds itself (a data: image, a file).
_LOCAL = re.compile(r"(https?|wss?)://(127\.0\.0\.1|localhost)[:/]|(data|blob|file|about):")


@pytest.fixture
def page(browser):
    """A page 1280 px wide; after the test, every request it made must have stayed on this machine."""
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    requests = []
    context.on("request", lambda request: requests.append(request.url))
    page = context.new_page()
    yield page
    context.close()
    assert [url for url in requests if not _LOCAL.match(url)] == [], "a page asked for something off this machine"


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
