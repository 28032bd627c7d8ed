"""The IDE's run options and sharing in a real browser: input given up front, arguments, the
code downloaded as a file, share links (and one that does not exist), an ended session said
plainly, the teacher-is-watching notice, the output limit, and a run from the keyboard alone."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import aiohttp
from playwright.async_api import Page, expect

from tests.api.conftest import TEACHER_CODE

from .conftest import (
    PASSWORD,
    NewPage,
    assert_accessible,
    console,
    expect_code,
    register,
    run_status,
    set_code,
)

ARGV_AND_INPUT = (
    "import sys\n"
    "print(sys.argv[1:])\n"
    "lines = sys.stdin.read().splitlines()\n"
    "print(len(lines), 'lines:', ','.join(lines))\n"
)


async def test_input_given_up_front_and_arguments_reach_the_program(new_page: NewPage) -> None:
    page = await new_page()
    await page.goto("/")
    await set_code(page, ARGV_AND_INPUT)
    await page.get_by_text("Input and arguments for the next run").click()
    await page.get_by_label("Input, sent at the start").fill("alpha\nbeta\n")
    await page.get_by_label("Arguments").fill("one \"two words\" 'it''s' back\\ slash")
    await page.get_by_role("button", name="Run", exact=True).click()
    await expect(console(page)).to_contain_text("['one', 'two words', 'its', 'back slash']")
    await expect(console(page)).to_contain_text("2 lines: alpha,beta")
    await expect(console(page)).to_contain_text("Input from the box sent (2 lines)")
    await expect(run_status(page)).to_contain_text("OK · exit code 0")

    # A quote left open is said, and nothing runs.
    await page.get_by_label("Arguments").fill('"unclosed')
    await page.get_by_role("button", name="Run", exact=True).click()
    await expect(run_status(page)).to_contain_text("double quote that is not closed")


async def test_the_code_downloads_under_its_language_s_file_name(new_page: NewPage) -> None:
    page = await new_page()
    await page.goto("/")
    await set_code(page, 'print("saved")\n')
    async with page.expect_download() as download_info:
        await page.get_by_role("button", name="Download").click()
    download = await download_info.value
    assert download.suggested_filename == "main.py"
    path = await download.path()
    assert path.read_text() == 'print("saved")\n'

    await page.get_by_role("combobox", name="Language").select_option("java")
    async with page.expect_download() as download_info:
        await page.get_by_role("button", name="Download").click()
    assert (await download_info.value).suggested_filename == "Main.java"


async def test_a_share_link_opens_a_copy_elsewhere_and_an_unknown_one_says_so(
    new_page: NewPage,
) -> None:
    page = await new_page()
    await page.goto("/")
    await page.get_by_role("combobox", name="Language").select_option("javascript")
    shared = 'console.log("shared " + 6 * 7);\n'
    await set_code(page, shared)
    await page.get_by_role("button", name="Share").click()
    dialog = page.get_by_role("dialog", name="Share this code")
    link = dialog.get_by_label("Link")
    await expect(link).to_have_value(re.compile(r"/s/[A-Za-z0-9_-]{12}$"))
    url = await link.input_value()
    await dialog.get_by_role("button", name="Close").click()
    await expect(dialog).to_be_hidden()

    # Someone else, with a draft of their own, opens the link.
    other = await new_page()
    await other.goto("/")
    await set_code(other, "print('my own work')\n")
    await other.wait_for_timeout(400)  # the draft is saved a moment after typing
    await other.goto(url)
    await expect(other.get_by_role("combobox", name="Language")).to_have_value("javascript")
    await expect_code(other, shared)
    await expect(other.locator("#context-label")).to_have_text("Shared code")
    await other.get_by_role("button", name="Run", exact=True).click()
    await expect(console(other)).to_contain_text("shared 42")
    # Their own draft is untouched.
    await other.goto("/")
    await other.get_by_role("combobox", name="Language").select_option("python")
    await expect_code(other, "print('my own work')\n")

    await other.goto("/s/AAAAAAAAAAAA")
    await expect(console(other)).to_contain_text("This share link does not exist")
    await expect(run_status(other)).to_have_text("Unknown share link")
    await expect_code(other, "print('my own work')\n")
    assert other.url.endswith("/")


async def test_a_refused_token_ends_the_session_out_loud_and_keeps_the_code(
    new_page: NewPage,
) -> None:
    page = await new_page()
    await page.goto("/")
    person = await register(page)
    code = 'print("after signing in again")\n'
    await set_code(page, code)
    token = await page.evaluate("localStorage.getItem('codex-ws.token')")
    revoked = await page.request.post(
        "/api/auth/logout", headers={"Authorization": f"Bearer {token}"}
    )
    assert revoked.status in (200, 204)

    # The next request is refused (401): the page says so, and keeps the code.
    await page.get_by_role("tab", name="History").click()
    banner = page.get_by_role("alert").filter(has_text="Your session ended; sign in again")
    await expect(banner).to_be_visible()
    await expect_code(page, code)
    await assert_accessible(page)

    # Run waits: nothing runs anonymously in its place.
    await page.get_by_role("button", name="Run", exact=True).click()
    await expect(banner).to_contain_text("Your run waits")
    await page.wait_for_timeout(1500)
    await expect(console(page)).not_to_contain_text("after signing in again")

    await banner.get_by_role("button", name="Sign in").click()
    dialog = page.get_by_role("dialog", name="Sign in")
    await dialog.get_by_label("Email").fill(person.email)
    await dialog.get_by_label("Password").fill(PASSWORD)
    await dialog.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_test_id("user-name")).to_have_text(person.name)
    await expect(banner).to_be_hidden()
    # The run that waited goes out, signed in: it is in the history.
    await expect(console(page)).to_contain_text("after signing in again")
    history = page.get_by_role("tabpanel", name="History")
    await expect(history.get_by_role("button").filter(has_text="Python").first).to_be_visible()


async def test_continuing_signed_out_is_a_choice(new_page: NewPage) -> None:
    page = await new_page()
    await page.goto("/")
    await page.evaluate("localStorage.setItem('codex-ws.token', 'not.a.token')")
    await page.reload()
    banner = page.get_by_role("alert").filter(has_text="Your session ended; sign in again")
    await expect(banner).to_be_visible()
    await set_code(page, 'print("anonymous, as chosen")\n')
    await page.keyboard.press("Control+Enter")
    await expect(banner).to_contain_text("Your run waits")
    await banner.get_by_role("button", name="Continue signed out").click()
    await expect(banner).to_be_hidden()
    await expect(console(page)).to_contain_text("anonymous, as chosen")


async def _receive(ws: aiohttp.ClientWebSocketResponse, kind: str) -> dict[str, Any]:
    async with asyncio.timeout(20):
        while True:
            message = await ws.receive()
            assert message.type == aiohttp.WSMsgType.TEXT, message
            data: dict[str, Any] = json.loads(message.data)
            if data["type"] == kind:
                return data


async def test_the_student_knows_their_teacher_is_watching_and_the_code_reaches_them(
    new_page: NewPage, base_url: str
) -> None:
    page = await new_page()
    await page.goto("/")
    await register(page)
    student_token = await page.evaluate("localStorage.getItem('codex-ws.token')")
    me = await (
        await page.request.get("/api/auth/me", headers={"Authorization": f"Bearer {student_token}"})
    ).json()
    await set_code(page, "print('before')\n")

    async with aiohttp.ClientSession(base_url) as http:
        fields = {
            "name": "Ms Teacher",
            "email": f"teacher-{me['user']['id'][:8]}@example.test",
            "password": PASSWORD,
            "role": "teacher",
        }
        made = await http.post("/api/auth/register", json=fields | {"teacherCode": TEACHER_CODE})
        teacher_token = (await made.json())["token"]
        teacher = {"Authorization": f"Bearer {teacher_token}"}
        the_class = await (
            await http.post("/api/classes", json={"name": "Period 2"}, headers=teacher)
        ).json()
        joined = await http.post(
            "/api/classes/join",
            json={"joinCode": the_class["joinCode"]},
            headers={"Authorization": f"Bearer {student_token}"},
        )
        assert joined.status == 200, await joined.text()

        indicator = page.locator("#followed")
        await expect(indicator).to_be_hidden()
        follow = (
            f"/ws/classes/{the_class['id']}/students/{me['user']['id']}/follow"
            f"?token={teacher_token}"
        )
        async with http.ws_connect(follow) as ws:
            await expect(indicator).to_have_text("Your teacher is following your work")
            await expect(indicator).to_have_role("status")
            # Once when the watching starts, then after each pause in the typing.
            first = await _receive(ws, "code")
            assert first["code"] == "print('before')\n" and first["language"] == "python"
            await page.get_by_role("textbox", name="Code", exact=True).click()
            await page.keyboard.press("Control+End")
            await page.keyboard.type("# hi")
            while (await _receive(ws, "code"))["code"] != "print('before')\n# hi":
                pass
        await expect(indicator).to_be_hidden()


async def test_the_output_limit_is_said_without_an_exit_code(new_page: NewPage) -> None:
    page = await new_page()
    await page.goto("/")
    await set_code(page, "while True:\n    print('x' * 1000)\n")
    await page.get_by_role("button", name="Run", exact=True).click()
    await expect(run_status(page)).to_contain_text("Output limit exceeded")
    assert "exit code" not in (await run_status(page).inner_text())
    await expect(console(page)).to_contain_text("more than the output limit allows")


async def _tab_to(page: Page, element_id: str, presses: int = 15) -> None:
    for _ in range(presses):
        if await page.evaluate("document.activeElement?.id") == element_id:
            return
        await page.keyboard.press("Tab")
    raise AssertionError(f"#{element_id} is not reached with Tab")


async def test_a_run_from_the_keyboard_alone(new_page: NewPage) -> None:
    page = await new_page()
    await page.goto("/")
    await expect(page.get_by_role("combobox", name="Language")).to_have_value("python")
    await page.keyboard.press("Tab")
    await expect(page.get_by_role("link", name="Skip to the editor")).to_be_focused()
    await page.keyboard.press("Enter")
    editor = page.get_by_role("textbox", name="Code", exact=True)
    await expect(editor).to_be_focused()
    await page.keyboard.press("Control+a")
    await page.keyboard.type('name = input("name? ")\nprint(f"Hi {name}")')
    await page.keyboard.press("Control+Enter")
    await expect(console(page)).to_contain_text("name? ")
    # Escape, then Tab leaves the editor; the input line is a few Tabs on.
    await page.keyboard.press("Escape")
    await _tab_to(page, "stdin")
    await page.keyboard.type("Ada")
    await page.keyboard.press("Enter")
    await expect(console(page)).to_contain_text("Hi Ada")
    await expect(run_status(page)).to_contain_text("OK · exit code 0")
    # The input line switches off with the run: the focus goes to Run, not to the page.
    await expect(page.get_by_role("button", name="Run", exact=True)).to_be_focused()
