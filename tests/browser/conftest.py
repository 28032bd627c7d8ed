"""A real server (`codex-ws serve` on a free port, real Docker, PostgreSQL and Redis) and a
headless Debian Chromium driven by Playwright, for the browser tests of the IDE and the
teacher view. Both live as long as this package's tests, not the whole session."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import secrets
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import aiohttp
import pytest
from playwright.async_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Locator,
    Page,
    async_playwright,
    expect,
)
from playwright.async_api import Error as PlaywrightError

from tests.api.conftest import JWT_SECRET, TEACHER_CODE
from tests.servers import start_server, stop_server, wait_until_healthy

CHROMIUM = os.environ.get("CODEX_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
VIEWPORT = {"width": 1280, "height": 800}
PASSWORD = "correct horse battery"

# Runs start containers: give the pages time to show their results.
expect.set_options(timeout=30_000)


@pytest.fixture(scope="package")
def server_process() -> Iterator[str]:
    """`codex-ws serve` sharing the API tests' secret and teacher code, on a free port."""
    env = os.environ | {
        "CODEX_ENV": "test",
        "CODEX_JWT_SECRET": JWT_SECRET,
        "CODEX_TEACHER_CODE": TEACHER_CODE,
        "CODEX_LOG_LEVEL": "WARNING",
        "CODEX_REDIS_PREFIX": f"codex-browser-{secrets.token_hex(4)}",
        "CODEX_RUNS_PER_MINUTE": "1000",
        # The pages' anonymous runs and share links all come from this one address.
        "CODEX_RUNS_PER_MINUTE_ANONYMOUS": "1000",
        "CODEX_SNIPPETS_PER_MINUTE": "1000",
        "CODEX_VALIDATIONS_PER_MINUTE": "1000",
        # Room for a class of twelve running at once, besides the warm pools.
        "CODEX_MAX_CONTAINERS": "32",
    }
    process, base = start_server(env)
    try:
        yield base
    finally:
        stop_server(process)


@pytest.fixture(scope="package")
async def base_url(server_process: str) -> str:
    async with aiohttp.ClientSession() as http:
        await wait_until_healthy(http, server_process)
    return server_process


@pytest.fixture(scope="package")
def chromium() -> str:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `bash scripts/test-tools.sh` (installs chromium)")
    return CHROMIUM


@pytest.fixture(scope="package")
async def browser(chromium: str) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        await browser.close()


NewPage = Callable[[], Awaitable[Page]]


@pytest.fixture
async def new_page(browser: Browser, base_url: str) -> AsyncIterator[NewPage]:
    """Pages, each in its own browser context (its own storage: another person); the test
    fails if a page throws or logs a JavaScript error."""
    contexts: list[BrowserContext] = []
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        # A refused request (a 4xx answer) is logged by the browser itself; not a page bug.
        if message.type == "error" and "Failed to load resource" not in message.text:
            problems.append(f"console error: {message.text}")

    async def new_page() -> Page:
        # The pages follow the system's theme: the tests see the dark one unless they ask.
        context = await browser.new_context(
            base_url=base_url, viewport=VIEWPORT, color_scheme="dark"
        )
        contexts.append(context)
        page = await context.new_page()
        page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
        page.on("console", on_console)
        return page

    yield new_page
    for context in contexts:
        with contextlib.suppress(PlaywrightError):  # already gone with the browser
            await context.close()
    assert not problems, problems


@dataclass(frozen=True)
class Person:
    name: str
    email: str


async def register(page: Page, role: str = "student") -> Person:
    """Create an account through the page's dialog; returns once the header shows the name."""
    person = Person(
        name=f"{role.title()} {uuid.uuid4().hex[:6]}",
        email=f"{role}-{uuid.uuid4().hex[:10]}@example.test",
    )
    await page.get_by_role("button", name="Create account").first.click()
    dialog = page.get_by_role("dialog", name="Create an account")
    await expect(dialog).to_be_visible()
    await dialog.get_by_label("Name").fill(person.name)
    await dialog.get_by_label("Email").fill(person.email)
    await dialog.get_by_label("Password").fill(PASSWORD)
    await dialog.get_by_label(role.title(), exact=True).check()
    if role == "teacher":
        await dialog.get_by_label("Teacher code").fill(TEACHER_CODE)
    await dialog.get_by_role("button", name="Create account").click()
    await expect(dialog).to_be_hidden()
    await expect(page.get_by_test_id("user-name")).to_have_text(person.name)
    return person


# The IDE's editor is a CodeMirror view: its text is read and set through the view itself.
_EDITOR_VIEW = """async (selector) => {
    const { EditorView } = await import("/static/vendor/codemirror.js");
    return EditorView.findFromDOM(document.querySelector(selector));
}"""


async def set_code(page: Page, code: str, editor: str = "#code") -> None:
    """Replace the editor's text, as a paste would."""
    await page.wait_for_selector(editor)
    await page.evaluate(
        f"""async ([selector, code]) => {{
            const view = await ({_EDITOR_VIEW})(selector);
            view.dispatch({{ changes: {{ from: 0, to: view.state.doc.length, insert: code }} }});
        }}""",
        [editor, code],
    )
    assert await code_of(page, editor) == code


async def code_of(page: Page, editor: str = "#code") -> str:
    await page.wait_for_selector(editor)
    text: str = await page.evaluate(
        f"async (selector) => (await ({_EDITOR_VIEW})(selector)).state.doc.toString()", editor
    )
    return text


async def expect_code(page: Page, expected: str | re.Pattern[str], editor: str = "#code") -> None:
    """Wait (up to 10 s) for the editor's text to be `expected` (or to match it)."""
    text = ""
    for _ in range(100):
        text = await code_of(page, editor)
        if text == expected if isinstance(expected, str) else expected.search(text):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"the editor holds {text!r}, not {expected!r}")


async def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=SCREENSHOTS / name)


# axe-core, as the axe-playwright-python package ships it (no download at test time).
AXE_SCRIPT = resources.files("axe_playwright_python").joinpath("axe.min.js").read_text()
AXE_RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


async def assert_accessible(page: Page) -> None:
    """An axe-core scan of the page as it is now (WCAG 2.1 A and AA, and best practices)."""
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        await page.evaluate(AXE_SCRIPT)
    options = {"runOnly": {"type": "tag", "values": AXE_RULES}, "resultTypes": ["violations"]}
    violations = await page.evaluate(
        "options => axe.run(document, options).then(results => results.violations)", options
    )
    found = [
        {"rule": v["id"], "help": v["help"], "where": [n["target"] for n in v["nodes"]][:5]}
        for v in violations
    ]
    assert not found, json.dumps(found, indent=1)


def console(page: Page) -> Locator:
    """The IDE's console (the teacher view's too)."""
    return page.get_by_role("log", name="Console")


def run_status(page: Page) -> Locator:
    return page.locator("#run-status")


@dataclass(frozen=True)
class Account:
    """An account made through the API, to set up many people fast."""

    id: str
    name: str
    email: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def api_account(page: Page, role: str = "student") -> Account:
    """An account registered with `POST /api/auth/register`, without the page's dialog."""
    name = f"{role.title()} {uuid.uuid4().hex[:6]}"
    email = f"{role}-{uuid.uuid4().hex[:10]}@example.test"
    fields = {"name": name, "email": email, "password": PASSWORD, "role": role}
    if role == "teacher":
        fields["teacherCode"] = TEACHER_CODE
    response = await page.request.post("/api/auth/register", data=fields)
    body = await response.json()
    assert response.status == 201, body
    return Account(body["user"]["id"], name, email, body["token"])


async def sign_in_as(page: Page, account: Account, path: str = "/") -> None:
    """Open `path` signed in as `account` (its token where the pages keep it). The token is
    stored from a page of the same origin that runs no script of its own: a page of the app
    would forget it while it finds itself signed out."""
    await page.goto("/api/languages")
    await page.evaluate("token => localStorage.setItem('codex-ws.token', token)", account.token)
    await page.goto(path)
    await expect(page.get_by_test_id("user-name")).to_have_text(account.name)


async def join_class(page: Page, code: str) -> Locator:
    """Type the join code in the IDE's Classes tab; returns the tab panel."""
    await page.get_by_role("tab", name="Classes").click()
    panel = page.get_by_role("tabpanel", name="Classes")
    await panel.get_by_label("Join code").fill(code)
    await panel.get_by_role("button", name="Join", exact=True).click()
    return panel
