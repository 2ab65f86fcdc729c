"""Browser tests: Playwright driving Debian's Chromium against the live Django server.

Screenshots of every page visited are saved under ``tests/e2e/screenshots/`` (see README).
"""

import os
import re
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="package")
def browser():
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        pytest.fail(
            f"The browser tests need Chromium at {CHROMIUM}, and it is not there. Install Debian's: "
            "`sudo apt-get install chromium chromium-driver` (or run `bash .ci/run`, which installs it), "
            "or point CHROMIUM_PATH at another Chromium binary.",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the Django calls the tests make between
    # browser steps are ordinary blocking calls and safe here. Only while this package's tests run, so
    # it reaches neither other tests nor their child processes (``check --deploy`` rightly refuses it).
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


class Shots:
    def __init__(self, page, name: str) -> None:
        self.page, self.name, self.count = page, name, 0
        SCREENSHOTS.mkdir(exist_ok=True)

    def __call__(self, step: str) -> Path:
        self.count += 1
        path = SCREENSHOTS / f"{self.name}-{self.count:02d}-{step}.png"
        self.page.screenshot(path=str(path), full_page=True)
        settle_after_full_page_screenshot(self.page)
        return path


# Chromium takes a full-page screenshot by stretching the viewport to the page's height and back. For a
# moment after, it can still route a click by the stretched layout: a click on a sticky button (the
# admin's save row) then lands on whatever sat at that point of the long page (the composer's preview
# frame), and nothing happens. Wait until the page has its own size again and has painted a frame.
SETTLED = """([width, height]) => new Promise((resolve) => {
    const check = () => {
        if (window.innerWidth === width && window.innerHeight === height) {
            requestAnimationFrame(() => requestAnimationFrame(() => resolve(true)));
        } else {
            requestAnimationFrame(check);
        }
    };
    check();
})"""


def settle_after_full_page_screenshot(page) -> None:
    viewport = page.viewport_size
    if viewport:
        page.evaluate(SETTLED, [viewport["width"], viewport["height"]])


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.shots = Shots(page, re.sub(r"[^a-z0-9_]+", "-", request.node.name.lower()))
    yield page
    context.close()


def local_link(url: str, live_server) -> str:
    """An emailed absolute link, pointed at the live test server instead of SITE_URL."""
    return re.sub(r"^https?://[^/]+", live_server.url, url)


def first_link(message, pattern: str) -> str:
    body = message.get_body(preferencelist=("plain",)).get_content()
    match = re.search(r"https?://\S*" + pattern + r"\S*", body)
    assert match, f"no link matching {pattern!r} in:\n{body}"
    return match.group(0).rstrip(".,)>")
