"""Headless Chromium (Debian's /usr/bin/chromium) driven by Playwright, against the live test server.

Screenshots go to test-artifacts/screenshots/ for people to look at. Without Chromium the tests
skip, unless ACCOLADE_REQUIRE_BROWSER=1 (CI), when they fail.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(autouse=True)
def one_browser_test_at_a_time():
    """Run browser tests one at a time across processes (.ci/run runs two suites side by side).

    Two Chromiums busy at once on a 2-CPU machine starved the platform-storage iframes now and then
    (a storage test timed out or hung in 2 of 4 CI runs); the rest of the suites still overlap.
    """
    import fcntl
    import tempfile

    with open(Path(tempfile.gettempdir()) / "accolade-browser-tests.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        if os.environ.get("ACCOLADE_REQUIRE_BROWSER") == "1":
            pytest.fail(f"Chromium not found at {CHROMIUM} (ACCOLADE_REQUIRE_BROWSER=1)")
        pytest.skip("Chromium is not installed (apt install chromium)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are still
    # synchronous, so Django's async-safety guard must stand aside for these tests (Django docs,
    # "Async safety"; the pattern pytest-playwright documents for Django).
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1200, "height": 900}, accept_downloads=True)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def screenshot():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def live_site(live_server, settings):
    """Point the public URL at the live server so issued ids resolve there."""
    settings.ACCOLADE = {**settings.ACCOLADE, "PUBLIC_URL": live_server.url}
    return live_server.url
