"""Browser journeys: Debian's Chromium, driven by Playwright, against pytest-django's live server.

Pages are found by ids, names and CSS classes only, never by visible text: the UI is translated
(zh-hans by default, English available), so words move while these hooks stay.

Each browser context is one person (own cookies), signed in through the real admin login form.
Console errors (a JavaScript exception, a Content-Security-Policy violation) fail the test; a
failing test leaves a screenshot of every open page in tests/e2e/screenshots/FAILED-*.png.
"""

import io
import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from PIL import ImageDraw

from tests.conftest import SANDBOX_AK, SANDBOX_SK, skip_unless_available
from tests.imagecorpus import pattern_image
from tests.workers import start_worker

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = Path(__file__).parent / "screenshots"
TIMEOUT_MS = 10_000  # a page that takes longer than this on loopback is a failure, not slowness
# Chromium logs every 4xx/5xx answer as a console error; journeys that expect a 400 (refused
# upload) or a 403 assert those answers themselves.
EXPECTED_CONSOLE_NOISE = ("Failed to load resource",)


def password_of(user: User) -> str:
    """The password tests/conftest.py gives every user fixture."""
    return f"{user.get_username()}-pw-123!"


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keep each phase's report on the item, so fixtures can tell whether the test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    """One headless Chromium for the e2e package (Debian's build; nothing is downloaded)."""
    if not CHROMIUM.exists():
        skip_unless_available(f"Debian's Chromium is not at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_unless_available("the playwright package is missing (pip install -e '.[test]')")
    # Playwright's sync API keeps an asyncio loop running on the main thread, and Django refuses
    # ORM calls where a loop runs. The tests' ORM calls are plain synchronous code, so allow them
    # while the browser is up, and put the guard back afterwards for the rest of the run.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


class Person:
    """One signed-in user in their own browser context."""

    def __init__(self, context: Any, user: User, base_url: str) -> None:
        self.context = context
        self.user = user
        self.base_url = base_url
        self.page = context.new_page()
        self.console_errors: list[str] = []
        self.page.on("console", self._on_console)
        self.page.on("pageerror", lambda exc: self.console_errors.append(f"pageerror: {exc}"))
        # Workflow buttons with a confirmation text ask first; this person always agrees.
        self.dialogs: list[str] = []
        self.page.on("dialog", self._on_dialog)

    def _on_dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.accept()

    def _on_console(self, message: Any) -> None:
        if message.type == "error" and not message.text.startswith(EXPECTED_CONSOLE_NOISE):
            self.console_errors.append(f"{message.text} ({self.page.url})")

    def url(self, name: str, *args: Any, query: str = "") -> str:
        return f"{self.base_url}{reverse(name, args=args)}{query}"

    def goto(self, name: str, *args: Any, query: str = "") -> Any:
        """Open a named URL; returns the response so a test can check the status."""
        return self.page.goto(self.url(name, *args, query=query))

    def login(self) -> None:
        page = self.page
        self.goto("admin:login", query="?next=" + reverse("admin:index"))
        page.fill("#id_username", self.user.get_username())
        page.fill("#id_password", password_of(self.user))
        page.click("#login-form [type=submit]")
        page.wait_for_url(self.url("admin:index"))
        expect(page.locator("#user-tools")).to_be_visible()


@pytest.fixture
def person(
    browser: Any, live_server: Any, request: pytest.FixtureRequest
) -> Iterator[Callable[[User], Person]]:
    """person(user) → that user signed in, in a fresh browser context with a Chinese browser."""
    people: list[Person] = []

    def make(user: User) -> Person:
        context = browser.new_context(
            locale="zh-CN",  # as the portal's users (the UI is zh-hans unless switched anyway)
            viewport={"width": 1280, "height": 900},
            accept_downloads=True,
        )
        context.set_default_timeout(TIMEOUT_MS)
        somebody = Person(context, user, live_server.url)
        people.append(somebody)
        somebody.login()
        return somebody

    yield make

    failed = getattr(request.node, "report_call", None)
    try:
        if failed is not None and failed.failed:
            SCREENSHOTS.mkdir(exist_ok=True)
            for somebody in people:
                name = f"FAILED-{request.node.name}-{somebody.user.get_username()}.png"
                somebody.page.screenshot(path=SCREENSHOTS / name, full_page=True)
        elif failed is not None:
            errors = [error for somebody in people for error in somebody.console_errors]
            assert not errors, "errors in the browser console:\n" + "\n".join(errors)
    finally:
        for somebody in people:
            somebody.context.close()


def expect(locator: Any) -> Any:
    """Playwright's expect, imported late so that collection works without Playwright."""
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def href(name: str, *args: Any, prefix: bool = False) -> str:
    """A CSS attribute selector for a link to a named URL (prefix: with a query string)."""
    return f'[href{"^" if prefix else ""}="{reverse(name, args=args)}"]'


def screenshot(page: Any, journey: str) -> Path:
    """Write tests/e2e/screenshots/<journey>.png (the folder is git-ignored)."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{journey}.png"
    page.screenshot(path=path, full_page=True)
    return path


def document_image(
    folder: Path, name: str, *, label: str, size: tuple[int, int] = (640, 420), fmt: str = "JPEG"
) -> Path:
    """A scan-like test image (the corpus pattern with a caption) written to folder/name."""
    image = pattern_image(*size)
    draw = ImageDraw.Draw(image)
    draw.rectangle((10, size[1] - 40, size[0] - 10, size[1] - 10), fill=(255, 255, 255))
    draw.text((20, size[1] - 32), label, fill=(0, 0, 0))
    buffer = io.BytesIO()
    image.save(buffer, fmt)
    path = folder / name
    path.write_bytes(buffer.getvalue())
    return path


@pytest.fixture
def worker(settings: Any, sandbox: str) -> Iterator[Any]:
    """start(rate=…) → one db_worker process on the live server's database, sending to its
    sandbox at most `rate` requests a second."""
    started: list[subprocess.Popen[str]] = []

    def start(rate: float = 2) -> subprocess.Popen[str]:
        process = start_worker(
            settings,
            "--no-reload",
            VOLC_SANDBOX_ENABLED="true",
            VOLC_VMS_ENDPOINT=sandbox,
            VOLC_ACCESSKEY=SANDBOX_AK,
            VOLC_SECRETKEY=SANDBOX_SK,
            VOLC_MAX_REQUESTS_PER_SECOND=str(rate),
            PORTAL_PUBLIC_BASE_URL=settings.PORTAL_PUBLIC_BASE_URL,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        process.terminate()
        process.communicate(timeout=30)
