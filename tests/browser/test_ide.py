"""The IDE at `/` in a real browser: sign up, run programs live, type their input, stop them,
check exercise solutions, find earlier runs again."""

from __future__ import annotations

import re

from playwright.async_api import expect

from .conftest import (
    NewPage,
    console,
    expect_code,
    register,
    run_status,
    screenshot,
    set_code,
)

GREET = 'name = input("name? ")\nprint(f"Hello, {name}!")\n'
TICKING = "import time\nwhile True:\n    print('tick', flush=True)\n    time.sleep(0.2)\n"


async def test_a_new_user_runs_hello_world_and_stays_signed_in(new_page: NewPage) -> None:
    page = await new_page()
    await page.goto("/")
    await expect(page.get_by_role("combobox", name="Language")).to_have_value("python")
    await expect_code(page, re.compile(r'print\(f"Hello, \{name\}!"\)'))
    person = await register(page)

    await set_code(page, 'print("Hello, World!")\nimport sys\nprint("careful", file=sys.stderr)\n')
    await page.get_by_role("button", name="Run", exact=True).click()
    await expect(console(page)).to_contain_text("Hello, World!")
    await expect(run_status(page)).to_contain_text("OK · exit code 0")
    await expect(console(page)).to_contain_text(
        re.compile(r"Process finished: OK · exit code 0 · \d+")
    )
    # stdout and stderr are separate pipes: "careful" and its newline may arrive apart.
    stderr = console(page).locator(".xterm-rows span", has_text="careful").first
    await expect(stderr).to_have_css("color", "rgb(255, 163, 156)")
    await expect(page.get_by_role("button", name="Run", exact=True)).to_be_enabled()

    # The run is in the history; choosing it brings its code back.
    await page.get_by_role("tab", name="History").click()
    run = (
        page.get_by_role("tabpanel", name="History").get_by_role("button").filter(has_text="Python")
    )
    await expect(run.first).to_contain_text("OK")
    await set_code(page, "# something else\n")
    await run.first.click()
    await expect_code(page, re.compile(r'^print\("Hello, World!"\)'))

    # The token stays in localStorage: a reload is still signed in.
    await page.reload()
    await expect(page.get_by_test_id("user-name")).to_have_text(person.name)
    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_role("button", name="Sign in")).to_be_visible()


async def test_a_program_asks_for_input_and_gets_it(new_page: NewPage) -> None:
    page = await new_page()
    await page.goto("/")
    await register(page)
    await set_code(page, GREET)
    await page.keyboard.press("Control+Enter")
    await expect(console(page)).to_contain_text("name? ")
    await expect(run_status(page)).to_contain_text("Running")
    stdin = page.get_by_role("textbox", name="Input")
    await expect(stdin).to_be_enabled()
    await stdin.fill("Grace")
    await screenshot(page, "ide-waiting-for-input.png")
    await stdin.press("Enter")
    await expect(console(page).locator(".xterm-rows")).to_contain_text("Grace")
    await expect(console(page)).to_contain_text("Hello, Grace!")
    await expect(run_status(page)).to_contain_text("OK · exit code 0")
    await expect(stdin).to_be_disabled()
    await screenshot(page, "ide-after-input.png")


async def test_eof_ends_the_input(new_page: NewPage) -> None:
    page = await new_page()
    await page.goto("/")
    await set_code(
        page, "import sys\nlines = sys.stdin.read().splitlines()\nprint(len(lines), 'lines')\n"
    )
    await page.get_by_role("button", name="Run", exact=True).click()
    stdin = page.get_by_role("textbox", name="Input")
    await expect(run_status(page)).to_contain_text("Running")
    for line in ("one", "two"):
        await stdin.fill(line)
        await stdin.press("Enter")
    await stdin.press("Control+d")
    await expect(console(page)).to_contain_text("2 lines")
    await expect(run_status(page)).to_contain_text("OK")


async def test_stop_kills_an_endless_program(new_page: NewPage) -> None:
    page = await new_page()
    await page.goto("/")
    await set_code(page, TICKING)
    await page.get_by_role("button", name="Run", exact=True).click()
    await expect(console(page)).to_contain_text("tick")
    await screenshot(page, "ide-mid-run.png")
    await page.get_by_role("button", name="Stop", exact=True).click()
    await expect(run_status(page)).to_contain_text("Killed (SIGKILL)")
    await expect(page.get_by_role("button", name="Stop", exact=True)).to_be_disabled()
    await expect(page.get_by_role("button", name="Run", exact=True)).to_be_enabled()


async def test_an_exercise_is_checked_case_by_case(new_page: NewPage) -> None:
    page = await new_page()
    await page.goto("/")
    await register(page)
    panel = page.get_by_role("tabpanel", name="Exercises")
    await panel.get_by_role("button", name=re.compile("Sum of Two Numbers")).click()
    await expect(panel.get_by_role("heading", name="Sum of Two Numbers")).to_be_visible()
    await expect(panel.locator(".markdown code").first).to_be_visible()
    await expect_code(page, re.compile("TODO: compute the sum"))
    await expect(page.locator("#context-label")).to_have_text("Exercise: Sum of Two Numbers")

    # A wrong answer: the failing public case shows its input, expected and actual output.
    await set_code(page, "a, b = map(int, input().split())\nprint(a + b + 1)\n")
    await page.get_by_role("button", name="Check solution").click()
    results = page.get_by_role("region", name="Check results")
    await expect(results).to_contain_text("0 of 6 tests passed: Wrong answer")
    first = results.locator(".case").first
    await expect(first).to_contain_text("Test #1: failed (Wrong answer)")
    await expect(first.locator(".io.input")).to_contain_text("2 3")
    await expect(first.locator(".io.expected")).to_contain_text("5")
    await expect(first.locator(".io.actual")).to_contain_text("6")
    await expect(results).to_contain_text("Hidden test #4: failed")

    await set_code(page, "a, b = map(int, input().split())\nprint(a + b)\n")
    await page.get_by_role("button", name="Check solution").click()
    await expect(results).to_contain_text("All 6 tests passed")
    await expect(results.locator(".case.good")).to_have_count(6)
    await expect(results).to_contain_text("Hidden test #6: passed")
    await expect(panel.locator(".badges")).to_contain_text("Solved")

    # Back in the list, the exercise carries its solved mark (with a text alternative).
    await panel.get_by_role("button", name="All exercises").click()
    solved = panel.get_by_role("button", name=re.compile(r"\(solved\) Sum of Two Numbers"))
    await expect(solved).to_be_visible()
    await expect(page.locator("#context-label")).to_have_text("Scratchpad")
