"""Browser fixtures: the sandbox exactly as `make run` starts it, and Debian's chromium.

Each test gets its own sandbox (`python -m bot run` without a token, in a fresh working
directory, on a free port) and its own browser context. A failing test leaves a screenshot,
the page's HTML and the sandbox's log in test-artifacts/browser/ and names them in the report.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from tests.browser.chat import ChatPane

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
# Debian's package first: Playwright's own browser download is not reachable from here.
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
START_TIMEOUT = 30.0  # seconds for the sandbox to print its banner
_CHAT_PAGE = re.compile(r"chat page\s+(http://\S+)")
# The variables tests/conftest.py clears, plus the ones only the sandbox reads.
_SETTINGS_ENV = (
    "BOT_TOKEN",
    "TELEGRAM_BASE_URL",
    "TELEGRAM_FILE_BASE_URL",
    "DATABASE_PATH",
    "DATA_DIR",
    "ENCRYPTION_KEY",
    "TIMEZONE",
    "ADMIN_IDS",
    "REVIEW_CHAT_ID",
    "SUPPORT_CHAT_ID",
    "DEFAULT_LOCALE",
    "SANDBOX_HOST",
    "SANDBOX_PORT",
    "INGEST_SECRET",
)


def chromium_path() -> str:
    """The chromium to drive: $CHROMIUM, else the first one installed; fails loudly if none."""
    explicit = os.environ.get("CHROMIUM")
    if explicit:
        if not os.access(explicit, os.X_OK):
            pytest.fail(f"CHROMIUM={explicit} is not an executable file", pytrace=False)
        return explicit
    for candidate in (*CHROMIUM_CANDIDATES, shutil.which("chromium")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    pytest.fail(
        "the browser tests need chromium and none was found (looked for "
        f"{', '.join(CHROMIUM_CANDIDATES)}). `make test` installs it on Debian "
        "(apt-get install chromium); elsewhere set CHROMIUM=/path/to/chromium.",
        pytrace=False,
    )


@dataclass
class Sandbox:
    """A running `merchant-bot run` sandbox: its chat page, database and log."""

    url: str
    workdir: Path
    log: Path
    process: subprocess.Popen[bytes]

    @property
    def database(self) -> Path:
        """The bot's SQLite file (DATABASE_PATH)."""
        return self.workdir / "data" / "merchant-bot.sqlite3"

    def log_text(self) -> str:
        """Everything the sandbox printed so far."""
        return self.log.read_text(encoding="utf-8", errors="replace")


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    """`python -m bot run` with no token: local Bot API server, the real bot and the page."""
    workdir = tmp_path / "sandbox"
    workdir.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in _SETTINGS_ENV}
    # Port 0: the server picks a free port and prints it in the banner, so no race.
    # The walks answer the form without OCR prefill (which asks the photos first).
    env.update(
        SANDBOX_PORT="0", PYTHONUNBUFFERED="1", POLL_TIMEOUT_SECONDS="2", OCR_ENABLED="false"
    )
    log = tmp_path / "sandbox.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            cwd=workdir,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    running = Sandbox("", workdir, log, process)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not (found := _CHAT_PAGE.search(running.log_text())):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the sandbox did not start:\n{running.log_text()}", pytrace=False)
            time.sleep(0.05)
        running.url = found.group(1)
        yield running
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# Module scope, not session: while the sync API's driver runs, its event loop is the
# thread's running loop, and the async tests that follow could not start their own.
@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    """The Playwright driver (shipped inside the PyPI package)."""
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """Headless Debian chromium, one per test module."""
    chromium = playwright.chromium.launch(executable_path=chromium_path(), headless=True)
    yield chromium
    chromium.close()


@pytest.fixture
def page(browser: Browser, sandbox: Sandbox) -> Iterator[Page]:
    """The chat page in a fresh context, wide enough to show merchant and staff side by side."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    context.set_default_timeout(10_000)
    tab = context.new_page()
    script_errors: list[str] = []
    tab.on("pageerror", lambda error: script_errors.append(str(error)))
    tab.goto(sandbox.url)
    tab.get_by_test_id("connection-status").and_(tab.locator("[data-state=open]")).wait_for()
    # Set once; if anything reloaded the page the marker would be gone.
    tab.evaluate("window.__notReloaded = true")
    yield tab
    context.close()
    assert not script_errors, f"the page's script failed: {script_errors}"


@pytest.fixture
def merchant(page: Page) -> ChatPane:
    """The merchant's private chat with the bot (小王, id 10001)."""
    return ChatPane(page, "merchant")


@pytest.fixture
def staff(page: Page) -> ChatPane:
    """The staff group pane (the review group is shown first), acting as 审核员 李."""
    return ChatPane(page, "staff")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """On failure: screenshot, page HTML and sandbox log into ARTIFACTS, named in the report."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if report.when != "call" or not report.failed:
        return
    funcargs = getattr(item, "funcargs", {})
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    stem = re.sub(r"[^\w.-]+", "_", item.name)
    saved: list[str] = []
    tab = funcargs.get("page")
    if isinstance(tab, Page) and not tab.is_closed():
        try:
            tab.screenshot(path=ARTIFACTS / f"{stem}.png", full_page=True)
            (ARTIFACTS / f"{stem}.html").write_text(tab.content(), encoding="utf-8")
            saved += [f"{stem}.png", f"{stem}.html"]
        except Exception as exc:  # the browser itself may be what failed
            saved.append(f"(no screenshot: {exc})")
    running = funcargs.get("sandbox")
    if isinstance(running, Sandbox):
        shutil.copyfile(running.log, ARTIFACTS / f"{stem}.log")
        saved.append(f"{stem}.log")
    report.sections.append(("browser artifacts", f"saved in {ARTIFACTS}/: {', '.join(saved)}"))
