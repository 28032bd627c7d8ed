"""What the IDE tells its user when things go wrong: a connection that drops and comes back,
runs the server refuses (rate limited, busy, unknown language), compile errors, and text from
others (programs, exercise authors) that must stay text."""

from __future__ import annotations

import json
import re
import uuid

import aiohttp
from playwright.async_api import WebSocketRoute, expect

from tests.api.conftest import TEACHER_CODE

from .conftest import NewPage, console, expect_code, register, set_code

TICKING = "import time\nwhile True:\n    print('tick', flush=True)\n    time.sleep(0.2)\n"
RUN_SOCKET = re.compile(r"/ws/run")


async def test_a_lost_connection_is_shown_and_comes_back(new_page: NewPage) -> None:
    page = await new_page()
    server_down = False
    routes: list[WebSocketRoute] = []

    async def through_to_the_server(ws: WebSocketRoute) -> None:
        if server_down:
            await ws.close(code=1001, reason="down")
            return
        ws.connect_to_server()
        routes.append(ws)

    await page.route_web_socket(RUN_SOCKET, through_to_the_server)
    await page.goto("/")
    connection = page.locator("#connection")
    await expect(connection).to_have_text("Connected")
    await set_code(page, TICKING)
    await page.get_by_role("button", name="Run", exact=True).click()
    await expect(console(page)).to_contain_text("tick")

    server_down = True
    await routes[-1].close(code=1001, reason="going away")
    await expect(console(page)).to_contain_text("The connection to the server was lost")
    await expect(page.locator("#run-status")).to_have_text("Disconnected")
    await expect(connection).to_contain_text(re.compile(r"Disconnected: reconnecting in \d+ s"))
    await expect(page.get_by_role("button", name="Run", exact=True)).to_be_enabled()

    server_down = False
    await page.get_by_role("button", name="Reconnect now").click()
    await expect(connection).to_have_text("Connected")
    await expect(page.get_by_role("button", name="Reconnect now")).to_be_hidden()
    await set_code(page, 'print("back again")\n')
    await page.get_by_role("button", name="Run", exact=True).click()
    await expect(console(page)).to_contain_text("back again")


async def test_refused_runs_say_why(new_page: NewPage) -> None:
    page = await new_page()
    # The page reads `code` and `retryAfter`, never the wording of `message`.
    refusals: list[dict[str, object]] = [
        {"code": "rate_limited", "message": "Too many runs: at most 60 a minute", "retryAfter": 4},
        {"code": "busy", "message": "All sandboxes are busy", "retryAfter": 2},
        {"code": "already_running", "message": "Another program runs on this socket"},
        {"code": "unknown_language", "message": "Unknown language 'cobol'. Supported: python"},
    ]

    def refuse(ws: WebSocketRoute) -> None:
        def on_message(message: str | bytes) -> None:
            if json.loads(message)["type"] == "run":
                ws.send(json.dumps({"type": "error", **refusals.pop(0)}))

        ws.on_message(on_message)

    await page.route_web_socket(RUN_SOCKET, refuse)
    await page.goto("/")
    run = page.get_by_role("button", name="Run", exact=True)
    status = page.locator("#run-status")

    await run.click()
    await expect(console(page)).to_contain_text("Rate limited: Too many runs")
    await expect(status).to_contain_text(re.compile(r"Rate limited: you can run again in [1-4] s"))
    await expect(run).to_be_disabled()
    await expect(status).to_have_text("Ready: you can run again.")
    await expect(run).to_be_enabled()

    await run.click()
    await expect(console(page)).to_contain_text(
        "The server is busy: every sandbox is in use right now. Try again in 2 s."
    )
    await expect(status).to_have_text("Not run: server busy")

    await run.click()
    await expect(console(page)).to_contain_text("A program is already running")
    await expect(status).to_have_text("Not run: already running")

    await run.click()
    await expect(console(page)).to_contain_text("Unknown language: Unknown language 'cobol'")
    await expect(status).to_have_text("Not run: unknown language")


async def test_a_compile_error_shows_the_compiler_output(new_page: NewPage) -> None:
    page = await new_page()
    await page.goto("/")
    await page.get_by_role("combobox", name="Language").select_option("java")
    await expect_code(page, re.compile("public class Main"))
    await set_code(
        page, 'public class Main { public static void main(String[] a) { int x = "s"; } }'
    )
    await page.get_by_role("button", name="Run", exact=True).click()
    await expect(console(page)).to_contain_text("Compiling…")
    diagnostics = console(page).locator(".xterm-rows span", has_text="incompatible types")
    await expect(diagnostics.first).to_be_visible()
    await expect(console(page)).to_contain_text("Compilation failed")
    await expect(page.locator("#run-status")).to_contain_text("Compile error")


async def test_the_editor_indents_like_a_code_editor(new_page: NewPage) -> None:
    page = await new_page()
    await page.goto("/")
    await set_code(page, "")
    editor = page.get_by_role("textbox", name="Code", exact=True)
    await editor.press_sequentially("def f():")
    await editor.press("Enter")
    await editor.press_sequentially("if x:")
    await editor.press("Enter")
    await editor.press_sequentially("return 1")
    await expect_code(page, "def f():\n    if x:\n        return 1")
    await editor.press("Shift+Tab")
    await expect_code(page, "def f():\n    if x:\n    return 1")
    await editor.press("Tab")
    await expect_code(page, "def f():\n    if x:\n    return 1    ")
    await editor.press("Control+z")
    await expect_code(page, "def f():\n    if x:\n    return 1")

    # Esc then Tab leaves the editor; Tab alone never does.
    await editor.press("Tab")
    await expect(editor).to_be_focused()
    await editor.press("Escape")
    await editor.press("Tab")
    await expect(editor).not_to_be_focused()

    # The gutter numbers every line and scrolls with the text.
    await set_code(page, "\n".join(f"print({i})" for i in range(1, 201)))
    await editor.click()
    await editor.press("Control+End")
    await expect(page.locator(".cm-gutters")).to_contain_text("200")


async def test_text_from_others_is_never_markup(new_page: NewPage, base_url: str) -> None:
    hostile = '<img src=x onerror="window.pwned=1"><script>window.pwned=1</script>'
    slug = f"markup-{uuid.uuid4().hex[:8]}"
    async with aiohttp.ClientSession(base_url) as http:
        teacher = {
            "email": f"author-{uuid.uuid4().hex[:8]}@example.test",
            "password": "correct horse",
            "name": "Author",
            "role": "teacher",
            "teacherCode": TEACHER_CODE,
        }
        async with http.post("/api/auth/register", json=teacher) as response:
            assert response.status == 201, await response.text()
            headers = {"Authorization": f"Bearer {(await response.json())['token']}"}
        exercise = {
            "slug": slug,
            "title": f"Zz {hostile}",
            "summary": hostile,
            "description": (
                f"Some **bold** and `{hostile}`.\n\n{hostile}\n\n- item {hostile}\n  more\n"
            ),
            "starterCode": {"python": "print(input())\n"},
            "cases": [{"input": "x\n", "output": "x\n"}],
        }
        async with http.post("/api/exercises", json=exercise, headers=headers) as response:
            assert response.status == 201, await response.text()
        try:
            page = await new_page()
            await page.goto("/")
            await register(page)
            panel = page.get_by_role("tabpanel", name="Exercises")
            await panel.get_by_role("button", name=re.compile("^Zz ")).click()
            statement = panel.locator(".markdown")
            await expect(statement.locator("strong")).to_have_text("bold")
            await expect(statement.locator("code")).to_have_text(hostile)
            await expect(statement.locator("li")).to_have_text(f"item {hostile} more")
            await expect(panel.get_by_role("heading", name=f"Zz {hostile}")).to_be_visible()

            await set_code(page, f"print({hostile!r})\n")
            await page.get_by_role("button", name="Run", exact=True).click()
            await expect(console(page)).to_contain_text(hostile)
            assert await page.locator("img, script:not([src])").count() == 0
            assert await page.evaluate("() => window.pwned") is None
        finally:
            async with http.delete(f"/api/exercises/{slug}", headers=headers) as response:
                assert response.status == 204, await response.text()
