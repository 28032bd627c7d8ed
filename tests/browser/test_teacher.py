"""The teacher view at `/teacher`: a teacher, in another browser, follows a student's run live
(output and what the student types) and reads finished sessions back."""

from __future__ import annotations

import re

from playwright.async_api import expect

from .conftest import NewPage, expect_code, register, screenshot, set_code

INTERACTIVE = """import sys
print("ready", flush=True)
for line in sys.stdin:
    print("got " + line.strip(), flush=True)
print("bye", flush=True)
"""


async def test_a_teacher_watches_a_student_live(new_page: NewPage) -> None:
    student = await new_page()
    await student.goto("/")
    person = await register(student)
    await set_code(student, INTERACTIVE)
    await student.get_by_role("button", name="Run", exact=True).click()
    student_console = student.get_by_role("log", name="Console")
    await expect(student_console).to_contain_text("ready")

    teacher = await new_page()
    await teacher.goto("/teacher")
    await expect(teacher.get_by_role("heading", name="Teachers only")).to_be_visible()
    await register(teacher, role="teacher")
    sessions = teacher.get_by_role("list", name=re.compile("Sessions"))
    session = sessions.get_by_role("button").filter(has_text=person.name).first
    await expect(session).to_contain_text("Live")
    await session.click()

    await expect(teacher.get_by_role("heading", name=f"{person.name} · Python")).to_be_visible()
    code = teacher.get_by_role("textbox", name="The student's code (read-only)")
    await expect(code).to_have_attribute("aria-readonly", "true")
    await expect_code(teacher, INTERACTIVE, editor="#watch-code")
    watched = teacher.get_by_role("log", name="Console")
    await expect(watched).to_contain_text("ready")
    await expect(teacher.locator("#watch-status")).to_have_text("Watching live")

    # What the student types, and what the program answers, appear while it still runs.
    stdin = student.get_by_role("textbox", name="Input")
    for word in ("one", "two"):
        await stdin.fill(word)
        await stdin.press("Enter")
        await expect(watched.locator(".xterm-rows")).to_contain_text(word)
        await expect(watched).to_contain_text(f"got {word}")
    await expect(student.locator("#run-status")).to_contain_text("Running")
    await screenshot(teacher, "teacher-watching.png")

    await student.get_by_role("button", name="EOF").click()
    await expect(watched).to_contain_text("bye")
    await expect(teacher.locator("#watch-status")).to_contain_text("Finished: OK · exit code 0")
    await expect(session).not_to_contain_text("Live")
    await expect(session).to_contain_text("OK")

    # A finished session opens as a transcript, typed input included.
    await teacher.reload()
    await expect(teacher.get_by_role("log", name="Console")).to_contain_text(
        "ready\nstudent typed: one\ngot one\nstudent typed: two\ngot two\nbye"
    )
    await expect(teacher.locator("#watch-status")).to_contain_text("Finished: OK")
    await screenshot(teacher, "teacher-transcript.png")


async def test_a_student_cannot_use_the_teacher_view(new_page: NewPage) -> None:
    page = await new_page()
    await page.goto("/teacher")
    await register(page)
    await expect(page.get_by_role("heading", name="Teachers only")).to_be_visible()
    await expect(page.locator("#gate-text")).to_contain_text("Watching sessions needs a teacher")
    await expect(page.get_by_role("list", name=re.compile("Sessions"))).to_be_hidden()
