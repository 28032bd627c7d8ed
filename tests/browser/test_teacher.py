"""The teacher view at `/teacher`: a teacher, in another browser, follows a student of their
class live (output and what the student types) and reads a finished run back."""

from __future__ import annotations

import re

from playwright.async_api import Page, expect

from .conftest import NewPage, Person, assert_accessible, join_class, register, screenshot, set_code

INTERACTIVE = """import sys
print("ready", flush=True)
for line in sys.stdin:
    print("got " + line.strip(), flush=True)
print("bye", flush=True)
"""


async def _a_student_joins(new_page: NewPage, join_code: str) -> tuple[Page, Person]:
    """A student signs up in the IDE and joins the class with its code."""
    student = await new_page()
    await student.goto("/")
    person = await register(student)
    panel = await join_class(student, join_code)
    await expect(panel.get_by_role("status").filter(has_text="You joined Period 1")).to_be_visible()
    return student, person


async def test_a_teacher_watches_a_student_live(new_page: NewPage) -> None:
    teacher = await new_page()
    await teacher.goto("/teacher")
    await expect(teacher.get_by_role("heading", name="Teachers only")).to_be_visible()
    await register(teacher, role="teacher")
    await expect(teacher.get_by_text("You teach no class yet.")).to_be_visible()
    await teacher.get_by_label("New class name").fill("Period 1")
    await teacher.get_by_role("button", name="Create class").click()
    join_code = teacher.locator("#join-code")
    await expect(join_code).to_have_text(re.compile(r"^[A-Z0-9]{6,}$"))

    # A teacher sees the students of their classes only: the student joins first.
    student, person = await _a_student_joins(new_page, await join_code.inner_text())
    await set_code(student, INTERACTIVE)
    await student.get_by_role("button", name="Run", exact=True).click()
    student_console = student.get_by_role("log", name="Console", exact=True)
    await expect(student_console).to_contain_text("ready")

    roster = teacher.get_by_role("list", name="Students")
    row = roster.get_by_role("listitem").filter(has_text=person.name)
    await expect(row).to_contain_text("Running Python")
    await row.get_by_role("button", name=re.compile("^Follow")).click()

    await expect(teacher.get_by_role("heading", name=f"{person.name} · Python")).to_be_visible()
    code = teacher.get_by_role("textbox", name="The student's code (read-only)")
    await expect(code).to_have_value(INTERACTIVE)
    await expect(code).to_have_attribute("readonly", "")
    watched = teacher.get_by_role("log", name="Console", exact=True)
    await expect(watched).to_contain_text("ready")
    await expect(teacher.locator("#watch-status")).to_have_text("Watching live")

    # What the student types, and what the program answers, appear while it still runs.
    stdin = student.get_by_role("textbox", name="Input")
    for word in ("one", "two"):
        await stdin.fill(word)
        await stdin.press("Enter")
        await expect(watched.locator(".out.stdin").last).to_have_text(f"student typed: {word}\n")
        await expect(watched).to_contain_text(f"got {word}")
    await expect(student.locator("#run-status")).to_contain_text("Running")
    await screenshot(teacher, "teacher-watching.png")
    await assert_accessible(teacher)
    await assert_accessible(student)

    await student.get_by_role("button", name="EOF").click()
    await expect(watched).to_contain_text("bye")
    await expect(teacher.locator("#watch-status")).to_contain_text("Finished: OK · exit code 0")
    await expect(row).to_contain_text("Idle")
    await expect(row).to_contain_text("Last: Run: OK")

    # The student is told they are followed, and what they type next shows as they type it.
    await expect(student.locator("#followed")).to_have_text("Your teacher is following your work")
    await set_code(student, 'print("next idea")\n')
    await expect(code).to_have_value('print("next idea")\n')
    await expect(teacher.locator("#watch-code-title")).to_contain_text("Code in their editor")

    # After a reload the page follows the same student: their last run, as a transcript.
    await teacher.reload()
    await expect(teacher.get_by_role("log", name="Console", exact=True)).to_contain_text(
        "ready\nstudent typed: one\ngot one\nstudent typed: two\ngot two\nbye"
    )
    await expect(teacher.locator("#watch-status")).to_contain_text("Finished: OK")
    await screenshot(teacher, "teacher-transcript.png")


async def test_a_student_cannot_use_the_teacher_view(new_page: NewPage) -> None:
    page = await new_page()
    await page.goto("/teacher")
    await register(page)
    await expect(page.get_by_role("heading", name="Teachers only")).to_be_visible()
    await expect(page.locator("#gate-text")).to_contain_text("The teacher view needs a teacher")
    await expect(page.get_by_role("list", name="Students")).to_be_hidden()
