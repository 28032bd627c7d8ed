"""Classes in a real browser: a teacher makes a class and shares its join code, students join
from the IDE, and the teacher watches the roster, the grid of live consoles, one student full
size, and the progress table; a new join code retires the old one; another teacher's class
sees none of it."""

from __future__ import annotations

import asyncio
import re
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import aiohttp
from playwright.async_api import Locator, Page, expect

from tests.servers import CODEX_WS

from .conftest import (
    PASSWORD,
    Account,
    NewPage,
    api_account,
    assert_accessible,
    expect_code,
    join_class,
    register,
    screenshot,
    set_code,
    sign_in_as,
)

SUM = "sum-two-numbers"
SUM_TITLE = "Sum of Two Numbers"
RIGHT_SUM = "a, b = map(int, input().split())\nprint(a + b)\n"
WRONG_SUM = "a, b = map(int, input().split())\nprint(a + b + 1)\n"


def ticking(tag: str, ticks: int = 30) -> str:
    """A program that says `tag` at once, then ticks for a few seconds (within the time limit)."""
    return (
        f"import time\nprint({tag!r}, 'ready', flush=True)\n"
        f"for i in range({ticks}):\n    print({tag!r}, i, flush=True)\n    time.sleep(0.25)\n"
    )


async def make_class(teacher: Page, name: str) -> str:
    """Create a class from the teacher page; returns its join code."""
    await teacher.get_by_label("New class name").fill(name)
    await teacher.get_by_role("button", name="Create class").click()
    await expect(teacher.get_by_role("heading", name=name, exact=True)).to_be_visible()
    code = teacher.locator("#join-code")
    await expect(code).to_have_text(re.compile(r"^[A-Z0-9]{6,}$"))
    return await code.inner_text()


def shown_class(teacher: Page) -> str:
    return parse_qs(teacher.url.split("#", 1)[1])["class"][0]


async def page_token(page: Page) -> str:
    token = await page.evaluate("localStorage.getItem('codex-ws.token')")
    assert isinstance(token, str)
    return token


@dataclass
class Classroom:
    """A teacher's page with a class, and the students who joined it (their IDE pages)."""

    new_page: NewPage
    teacher: Page
    join_code: str
    students: list[tuple[Page, str]] = field(default_factory=list)

    @property
    def roster(self) -> Locator:
        return self.teacher.get_by_role("list", name="Students")

    @property
    def grid(self) -> Locator:
        return self.teacher.get_by_role("list", name="Live consoles")


async def _three_students_join(room: Classroom) -> None:
    """Three students join with the code, typed in the IDE."""
    teacher, students, roster, join_code = room.teacher, room.students, room.roster, room.join_code
    for _ in range(3):
        page = await room.new_page()
        await page.goto("/")
        person = await register(page)
        panel = await join_class(page, join_code)
        await expect(
            panel.get_by_role("status").filter(has_text="You joined Period 3")
        ).to_be_visible()
        classes = panel.get_by_role("list", name="Your classes")
        await expect(classes.get_by_role("listitem")).to_have_count(1)
        await expect(classes).to_contain_text("Period 3")
        await screenshot(page, "ide-classes.png")
        room.students.append((page, person.name))
    for _, name in students:
        await expect(roster.get_by_role("listitem").filter(has_text=name)).to_contain_text("Online")
    await expect(teacher.locator("#roster-summary")).to_have_text(
        "3 students · 3 online · 0 running"
    )


async def _the_grid_shows_each_console(room: Classroom) -> None:
    """They run programs at once: each console in the grid shows its student's output live."""
    teacher, students, roster, grid = room.teacher, room.students, room.roster, room.grid
    for index, (page, _) in enumerate(students):
        await set_code(page, ticking(f"student-{index}"))
    for page, _ in students:
        await page.get_by_role("button", name="Run", exact=True).click()
    for index, (_, name) in enumerate(students):
        tile_console = grid.get_by_role("log", name=f"Console of {name}")
        await expect(tile_console).to_contain_text(f"student-{index} ready")
        await expect(tile_console).to_contain_text(f"student-{index} 2")
    await expect(roster.get_by_role("listitem").filter(has_text="Running Python")).to_have_count(3)
    await screenshot(teacher, "teacher-grid.png")
    await assert_accessible(teacher)


async def _one_student_full_size(room: Classroom) -> None:
    """One of them full size; their next run replaces the one shown."""
    teacher, students, grid = room.teacher, room.students, room.grid
    first_page, first_name = students[0]
    await grid.get_by_role("button", name=re.compile(re.escape(first_name))).click()
    await expect(teacher.get_by_role("heading", name=f"{first_name} · Python")).to_be_visible()
    watched = teacher.get_by_role("log", name="Console", exact=True)
    await expect(watched).to_contain_text("student-0 ready")
    await expect_code(teacher, ticking("student-0"), editor="#watch-code")
    stop = first_page.get_by_role("button", name="Stop", exact=True)
    if await stop.is_enabled():
        await stop.click()
    await expect(first_page.get_by_role("button", name="Run", exact=True)).to_be_enabled()
    await set_code(first_page, 'print("a second run")\n')
    await first_page.get_by_role("button", name="Run", exact=True).click()
    await expect(watched).to_contain_text("a second run")
    await expect(watched).not_to_contain_text("student-0 ready")
    await expect_code(teacher, 'print("a second run")\n', editor="#watch-code")
    await expect(teacher.locator("#watch-status")).to_contain_text("Finished: OK")

    # Their earlier runs can be read back, then the view goes live again.
    await teacher.get_by_text("Earlier runs").click()
    runs = teacher.get_by_role("list", name="Earlier runs of this student").get_by_role("button")
    await expect(runs).to_have_count(2)
    await screenshot(teacher, "teacher-following.png")
    await runs.nth(1).click()
    await expect(watched).to_contain_text("student-0 ready")
    await expect_code(teacher, ticking("student-0"), editor="#watch-code")
    await expect(teacher.locator("#watch-status")).to_contain_text("Earlier run")
    await teacher.get_by_role("button", name="Back to the live view").click()
    await expect(watched).to_contain_text("a second run")
    await expect(watched).not_to_contain_text("student-0 ready")
    await assert_accessible(teacher)
    await teacher.get_by_role("button", name="All consoles").click()
    await expect(grid).to_be_visible()


async def _the_progress_table(room: Classroom) -> None:
    """An exercise assigned to the class; one student checks in the IDE, one through the API."""
    teacher, students, roster = room.teacher, room.students, room.roster
    await teacher.get_by_role("tab", name="Progress").click()
    await teacher.get_by_label("Exercise").select_option(SUM)
    await teacher.get_by_role("button", name="Assign to the class").click()
    table = teacher.get_by_role("table")
    await expect(table.get_by_role("columnheader").filter(has_text=SUM_TITLE)).to_be_visible()
    await expect(table.get_by_role("row")).to_have_count(4)

    checker_page, checker = students[1]
    exercises = checker_page.get_by_role("tabpanel", name="Exercises")
    await checker_page.get_by_role("tab", name="Exercises").click()
    await exercises.get_by_role("button", name=re.compile(SUM_TITLE)).click()
    await expect(checker_page.locator("#context-label")).to_have_text(f"Exercise: {SUM_TITLE}")
    await expect_code(checker_page, re.compile("TODO"))
    await set_code(checker_page, WRONG_SUM)
    await checker_page.get_by_role("button", name="Check solution").click()
    # The verdict shows in the console area.
    await expect(checker_page.get_by_role("region", name="Check results")).to_contain_text(
        "0 of 6 tests passed"
    )
    checker_row = table.get_by_role("row").filter(has_text=checker)
    await expect(checker_row).to_contain_text("1 attempt")
    await expect(checker_row).not_to_contain_text("Solved")
    await expect(checker_row).to_contain_text("0 of 1")

    solver_page, solver = students[2]
    # Their run over first: the roster's last verdict is the newest of a run and a check.
    solver_in_roster = roster.get_by_role("listitem").filter(has_text=solver)
    await expect(solver_in_roster).to_contain_text("Last: Run:")
    answer = await solver_page.request.post(
        "/api/exercises/validate",
        data={"exerciseId": SUM, "language": "python", "code": RIGHT_SUM},
        headers={"Authorization": f"Bearer {await page_token(solver_page)}"},
    )
    assert answer.status == 200, await answer.text()
    assert (await answer.json())["passed"] is True
    solver_row = table.get_by_role("row").filter(has_text=solver)
    await expect(solver_row).to_contain_text("Solved")
    await expect(solver_row).to_contain_text("1 of 1")
    await expect(solver_in_roster).to_contain_text(f"{SUM_TITLE}: 6/6 passed")
    await screenshot(teacher, "teacher-progress.png")
    await assert_accessible(teacher)


async def _a_new_join_code(room: Classroom) -> None:
    """A new join code: the old one is refused in the IDE, saying what to do; the new one works."""
    teacher, roster, join_code = room.teacher, room.roster, room.join_code
    old_code = join_code
    await teacher.get_by_role("button", name="New join code").click()
    await expect(teacher.locator("#join-code")).not_to_have_text(old_code)
    new_code = await teacher.locator("#join-code").inner_text()
    late = await room.new_page()
    late_account = await api_account(late)
    await sign_in_as(late, late_account)
    panel = await join_class(late, old_code)
    error = panel.get_by_role("alert")
    await expect(error).to_contain_text(f"No class has the join code “{old_code}”")
    await expect(error).to_contain_text("Check it with your teacher")
    await screenshot(late, "ide-join-refused.png")
    await assert_accessible(late)
    await panel.get_by_label("Join code").fill(new_code.lower())
    await panel.get_by_role("button", name="Join", exact=True).click()
    await expect(panel.get_by_role("status").filter(has_text="You joined Period 3")).to_be_visible()
    await expect(roster.get_by_role("listitem").filter(has_text=late_account.name)).to_be_visible()


async def _another_teachers_class(room: Classroom) -> None:
    """Another teacher's class shows none of these students, and theirs cannot be opened."""
    teacher, students = room.teacher, room.students
    class_id = shown_class(teacher)
    other = await room.new_page()
    other_teacher = await api_account(other, "teacher")
    await sign_in_as(other, other_teacher, "/teacher")
    await make_class(other, "Period 4")
    await expect(other.locator("#roster-status")).to_contain_text("No students yet")
    await expect(other.get_by_role("list", name="Live consoles").get_by_role("log")).to_have_count(
        0
    )
    refused = await other.request.get(f"/api/classes/{class_id}", headers=other_teacher.headers)
    assert refused.status in (403, 404)
    listed = await other.request.get("/api/sessions", headers=other_teacher.headers)
    assert listed.status == 200
    names = {session["userName"] for session in (await listed.json())["sessions"]}
    assert not names & {name for _, name in students}
    await other.goto(f"/teacher#class={class_id}")
    await other.reload()
    await expect(other.get_by_role("heading", name="Period 4", exact=True)).to_be_visible()


async def _a_student_leaves(room: Classroom) -> None:
    """A student leaves the class; the roster drops them."""
    students, roster = room.students, room.roster
    leaver_page, leaver = students[2]
    await leaver_page.get_by_role("tab", name="Classes").click()
    leaver_page.once("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
    await leaver_page.get_by_role("button", name="Leave Period 3").click()
    leaver_panel = leaver_page.get_by_role("tabpanel", name="Classes")
    await expect(leaver_panel.get_by_text("You are in no class yet")).to_be_visible()
    await expect(roster.get_by_role("listitem").filter(has_text=leaver)).to_have_count(0)


async def test_a_class_joined_from_the_ide_and_watched_live(new_page: NewPage) -> None:
    teacher = await new_page()
    await teacher.goto("/teacher")
    await register(teacher, role="teacher")
    await expect(teacher.get_by_text("You teach no class yet.")).to_be_visible()
    await screenshot(teacher, "teacher-no-class.png")
    await assert_accessible(teacher)
    room = Classroom(new_page, teacher, await make_class(teacher, "Period 3"))
    await expect(teacher.locator("#roster-status")).to_contain_text("No students yet")
    await _three_students_join(room)
    await _the_grid_shows_each_console(room)
    await _one_student_full_size(room)
    await _the_progress_table(room)
    await _a_new_join_code(room)
    await _another_teachers_class(room)
    await _a_student_leaves(room)


async def _run_for_a_while(base_url: str, student: Account, tag: str) -> None:
    """A run over `/ws/run` that prints `tag` and lasts a few seconds (asked again while every
    sandbox is busy)."""
    async with (
        aiohttp.ClientSession() as http,
        http.ws_connect(f"{base_url}/ws/run", headers=student.headers) as ws,
        asyncio.timeout(90),
    ):
        await ws.send_json({"type": "run", "language": "python", "code": ticking(tag, 36)})
        async for message in ws:
            body: dict[str, Any] = message.json()
            if body["type"] == "exit":
                return
            if body["type"] == "error":
                assert body["code"] == "busy", body
                await asyncio.sleep(body.get("retryAfter", 1))
                await ws.send_json({"type": "run", "language": "python", "code": ticking(tag, 36)})


async def test_twelve_consoles_at_once(new_page: NewPage, base_url: str) -> None:
    teacher = await new_page()
    teacher_account = await api_account(teacher, "teacher")
    created = await teacher.request.post(
        "/api/classes", data={"name": "Big class"}, headers=teacher_account.headers
    )
    assert created.status == 201, await created.text()
    info = await created.json()
    students = [await api_account(teacher) for _ in range(12)]
    for student in students:
        joined = await teacher.request.post(
            "/api/classes/join", data={"joinCode": info["joinCode"]}, headers=student.headers
        )
        assert joined.status == 200, await joined.text()
    await sign_in_as(teacher, teacher_account, "/teacher")
    grid = teacher.get_by_role("list", name="Live consoles")
    await expect(grid.get_by_role("log")).to_have_count(12)
    await expect(teacher.locator("#roster-summary")).to_have_text(
        "12 students · 0 online · 0 running"
    )

    runs = [
        asyncio.create_task(_run_for_a_while(base_url, student, f"tag-{index}"))
        for index, student in enumerate(students)
    ]
    try:
        await expect(teacher.locator("#roster-summary")).to_have_text(
            "12 students · 12 online · 12 running"
        )
        for index, student in enumerate(students):
            tile = grid.get_by_role("log", name=f"Console of {student.name}")
            await expect(tile).to_contain_text(f"tag-{index} 3")
        await screenshot(teacher, "teacher-grid-12.png")
        # From the keyboard: a console's name opens it full size; "All consoles" comes back to it.
        first = grid.get_by_role("button", name=re.compile(re.escape(students[0].name)))
        await first.focus()
        await teacher.keyboard.press("Enter")
        heading = teacher.get_by_role("heading", name=re.compile(re.escape(students[0].name)))
        await expect(heading).to_be_focused()
        await teacher.get_by_role("button", name="All consoles").focus()
        await teacher.keyboard.press("Enter")
        await expect(first).to_be_focused()
        await teacher.set_viewport_size({"width": 420, "height": 800})
        await screenshot(teacher, "teacher-grid-narrow.png")
        await teacher.set_viewport_size({"width": 1280, "height": 800})
    finally:
        await asyncio.gather(*runs)


async def test_an_admin_sees_every_class(new_page: NewPage) -> None:
    page = await new_page()
    teacher = await api_account(page, "teacher")
    name = f"Period {uuid.uuid4().hex[:6]}"
    created = await page.request.post("/api/classes", data={"name": name}, headers=teacher.headers)
    assert created.status == 201, await created.text()
    info = await created.json()
    student = await api_account(page)
    joined = await page.request.post(
        "/api/classes/join", data={"joinCode": info["joinCode"]}, headers=student.headers
    )
    assert joined.status == 200, await joined.text()

    email = f"admin-{uuid.uuid4().hex[:10]}@example.test"
    made = await asyncio.create_subprocess_exec(
        CODEX_WS,
        "users",
        "create",
        "--admin",
        "--name",
        "Head",
        email,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await made.communicate(f"{PASSWORD}\n".encode())
    assert made.returncode == 0, out + err
    login = await page.request.post("/api/auth/login", data={"email": email, "password": PASSWORD})
    assert login.status == 200, await login.text()
    body = await login.json()
    admin = Account(body["user"]["id"], "Head", email, body["token"])

    await sign_in_as(page, admin, f"/teacher#class={info['id']}")
    await expect(page.get_by_role("heading", name=name, exact=True)).to_be_visible()
    await expect(page.get_by_label("Class", exact=True)).to_have_value(info["id"])
    roster = page.get_by_role("list", name="Students")
    await expect(roster.get_by_role("listitem").filter(has_text=student.name)).to_be_visible()
    await expect(page.locator("#join-code")).to_have_text(info["joinCode"])


async def test_the_roster_filters_by_name_language_and_state(
    new_page: NewPage, base_url: str
) -> None:
    teacher = await new_page()
    teacher_account = await api_account(teacher, "teacher")
    created = await teacher.request.post(
        "/api/classes", data={"name": "Filtered"}, headers=teacher_account.headers
    )
    info = await created.json()
    students = [await api_account(teacher) for _ in range(3)]
    for student in students:
        joined = await teacher.request.post(
            "/api/classes/join", data={"joinCode": info["joinCode"]}, headers=student.headers
        )
        assert joined.status == 200, await joined.text()
    await sign_in_as(teacher, teacher_account, "/teacher")
    roster = teacher.get_by_role("list", name="Students")
    grid = teacher.get_by_role("list", name="Live consoles")
    await expect(roster.get_by_role("listitem")).to_have_count(3)

    runner = asyncio.create_task(_run_for_a_while(base_url, students[0], "filtered"))
    try:
        state = teacher.get_by_label("State")
        await state.select_option("running")
        await expect(roster.locator("li.student:visible")).to_have_count(1)
        await expect(roster.locator("li.student:visible")).to_contain_text(students[0].name)
        await expect(grid.get_by_role("log")).to_have_count(1)
        await expect(teacher.locator("#roster-summary")).to_contain_text("1 shown")
        language = teacher.get_by_label("Language")
        await expect(language.locator("option")).to_have_count(2)  # Any, Python
        await language.select_option("python")
        await state.select_option("")
        await expect(roster.locator("li.student:visible")).to_have_count(1)
        await language.select_option("")
        await teacher.get_by_label("Find").fill(students[2].name[-6:])
        await expect(roster.locator("li.student:visible")).to_have_count(1)
        await expect(roster.locator("li.student:visible")).to_contain_text(students[2].name)
        await teacher.get_by_label("Find").fill("")
        await expect(roster.locator("li.student:visible")).to_have_count(3)
        await assert_accessible(teacher)
    finally:
        await runner
