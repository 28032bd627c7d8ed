"""Tokens and origins in a real browser: the pages keep the token out of every socket URL (it
goes in the first message), "Sign out" revokes it at the server, changing the password signs
the other devices out, and a page of another site cannot open a socket."""

from __future__ import annotations

import json
import re

from playwright.async_api import Page, WebSocket, expect

from .conftest import (
    PASSWORD,
    NewPage,
    api_account,
    console,
    register,
    run_status,
    set_code,
)


def _record_sockets(page: Page) -> tuple[list[str], list[str]]:
    """The URLs of the sockets the page opens, and the first message sent on each."""
    urls: list[str] = []
    firsts: list[str] = []

    def opened(ws: WebSocket) -> None:
        urls.append(ws.url)
        sent: list[str] = []

        def frame(payload: str | bytes) -> None:
            if not sent:
                firsts.append(payload if isinstance(payload, str) else payload.decode())
            sent.append("x")

        ws.on("framesent", frame)

    page.on("websocket", opened)
    return urls, firsts


async def test_the_token_goes_in_the_first_message_and_sign_out_revokes_it(
    new_page: NewPage,
) -> None:
    page = await new_page()
    urls, firsts = _record_sockets(page)
    await page.goto("/")
    person = await register(page)
    token = await page.evaluate("localStorage.getItem('codex-ws.token')")
    assert token

    # A signed-in run: the history lists it, so the socket was the account's.
    await set_code(page, 'print("mine")\n')
    await page.get_by_role("button", name="Run", exact=True).click()
    await expect(run_status(page)).to_contain_text("OK · exit code 0")
    await page.get_by_role("tab", name="History").click()
    history = page.get_by_role("tabpanel", name="History")
    await expect(history.get_by_role("button").filter(has_text="Python").first).to_be_visible()

    assert urls and all("token" not in url for url in urls), urls
    signed_in = [json.loads(first) for first in firsts if '"auth"' in first]
    assert signed_in and signed_in[-1] == {"type": "auth", "token": token}

    me = await page.request.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status == 200
    await page.get_by_role("button", name="Sign out").click()
    account = page.get_by_role("navigation", name="Account")
    await expect(account.get_by_role("button", name="Sign in")).to_be_visible()
    for _ in range(50):
        me = await page.request.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
        if me.status == 401:
            break
        await page.wait_for_timeout(100)
    assert me.status == 401, "the token still works after signing out"
    assert await page.evaluate("localStorage.getItem('codex-ws.token')") is None
    # Signed out, the page runs anonymously again.
    await page.get_by_role("button", name="Run", exact=True).click()
    await expect(console(page)).to_contain_text("mine")
    assert person.name


async def test_a_teacher_watches_with_the_token_out_of_the_url(new_page: NewPage) -> None:
    teacher = await new_page()
    urls, firsts = _record_sockets(teacher)
    await teacher.goto("/teacher")
    await register(teacher, role="teacher")
    await teacher.get_by_label("New class name").fill("Period 2")
    await teacher.get_by_role("button", name="Create class").click()
    join_code = teacher.locator("#join-code")
    await expect(join_code).not_to_be_empty()
    student = await api_account(teacher)
    joined = await teacher.request.post(
        "/api/classes/join",
        data={"joinCode": await join_code.inner_text()},
        headers=student.headers,
    )
    assert joined.status == 200, await joined.text()
    roster = teacher.get_by_role("list", name="Students")
    row = roster.get_by_role("listitem").filter(has_text=student.name)
    await row.get_by_role("button", name=re.compile("^Follow")).click()
    await expect(teacher.locator("#watch-status")).to_have_text("Waiting for a run")

    token = await teacher.evaluate("localStorage.getItem('codex-ws.token')")
    assert any("/watch" in url for url in urls), urls
    assert any("/follow" in url for url in urls), urls
    assert all("token" not in url for url in urls), urls
    assert firsts and all(json.loads(first) == {"type": "auth", "token": token} for first in firsts)


async def test_a_page_of_another_site_cannot_open_a_socket(
    new_page: NewPage, base_url: str
) -> None:
    # Another origin on this machine (the browser keeps public pages off the loopback
    # interface altogether): the same server under another host name.
    page = await new_page()
    await page.goto(base_url.replace("127.0.0.1", "localhost") + "/api/languages")
    socket = re.sub(r"^http", "ws", base_url) + "/ws/run"
    code = await page.evaluate(
        """(url) => new Promise((resolve) => {
            const ws = new WebSocket(url);
            ws.onclose = (event) => resolve(event.code);
        })""",
        socket,
    )
    assert code == 4003


async def test_changing_the_password_signs_other_devices_out(new_page: NewPage) -> None:
    page = await new_page()
    await page.goto("/")
    person = await register(page)
    old = await page.evaluate("localStorage.getItem('codex-ws.token')")
    other = await new_page()
    await other.goto("/")
    await other.evaluate("(token) => localStorage.setItem('codex-ws.token', token)", old)
    await other.reload()
    await expect(other.get_by_test_id("user-name")).to_have_text(person.name)

    await page.get_by_role("button", name="Change password").click()
    dialog = page.get_by_role("dialog", name="Change password")
    await dialog.get_by_label("Current password").fill("not the password")
    await dialog.get_by_label("New password").fill("a new passphrase")
    await dialog.get_by_role("button", name="Change password").click()
    await expect(dialog.get_by_role("alert")).to_have_text("That is not your current password.")
    await dialog.get_by_label("Current password").fill(PASSWORD)
    await dialog.get_by_role("button", name="Change password").click()
    await expect(dialog).to_be_hidden()

    # This page goes on with a new token; the old one, and the other device, are out.
    await expect(page.get_by_test_id("user-name")).to_have_text(person.name)
    new = await page.evaluate("localStorage.getItem('codex-ws.token')")
    assert new and new != old
    refused = await page.request.get("/api/auth/me", headers={"Authorization": f"Bearer {old}"})
    assert refused.status == 401
    await other.reload()
    account = other.get_by_role("navigation", name="Account")
    await expect(account.get_by_role("button", name="Sign in")).to_be_visible()
