"""Browser tests: Playwright drives Debian's Chromium (/usr/bin/chromium) against a live server.

Nothing downloads a browser. Screenshots of each screen go to test-artifacts/screenshots/ (git-ignored).
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; the test's own ORM calls are plain sync code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("OPSCONSOLE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium package (see .ci/run)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


# Every Content-Security-Policy violation in any browser test fails it: the page records the browser's
# securitypolicyviolation events (this init script runs through the DevTools protocol, outside the policy),
# and Chromium's console reports each refusal too.
CSP_RECORDER = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(
    `${e.violatedDirective} blocked ${e.blockedURI || 'inline'} on ${location.pathname}`
    + (e.sample ? `: ${e.sample}` : ''));
});
"""


class CspViolations(list):  # type: ignore[type-arg]
    def collect(self, page) -> list[str]:  # type: ignore[no-untyped-def]
        # The page may be closing or navigating; Chromium's console messages are recorded regardless.
        with contextlib.suppress(Exception):
            self.extend(v for v in page.evaluate("window.__cspViolations || []") if v not in self)
        return list(self)


@pytest.fixture
def csp_violations() -> CspViolations:
    return CspViolations()


@pytest.fixture
def page(browser, live_server, csp_violations):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=live_server.url)
    context.add_init_script(CSP_RECORDER)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.on(
        "console",
        lambda message: (
            csp_violations.append(f"console: {message.text}")
            if "Content Security Policy" in message.text
            else None
        ),
    )
    yield page
    csp_violations.collect(page)
    context.close()
    assert list(csp_violations) == [], "Content-Security-Policy violations"


@pytest.fixture
def login(page, password):  # type: ignore[no-untyped-def]
    def do_login(username: str) -> None:
        page.goto("/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("button[type=submit]")

    return do_login


@pytest.fixture
def screenshot(page):  # type: ignore[no-untyped-def]
    def take(name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def assert_no_horizontal_scroll(page) -> None:  # type: ignore[no-untyped-def]
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"page scrolls horizontally by {overflow}px at 1280px"
