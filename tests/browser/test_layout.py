"""The IDE's layout in a real browser: a phone's screen (no sideways scrolling, the exercises
in a drawer, the console in view after Run), a check's verdict in the console area, panes
resized from the keyboard, light and dark themes, the code's size."""

from __future__ import annotations

import re

from playwright.async_api import Page, expect

from .conftest import NewPage, assert_accessible, console, run_status, screenshot, set_code

PHONE = {"width": 390, "height": 844}


async def _no_sideways_scroll(page: Page) -> None:
    widths = await page.evaluate(
        """() => [document.documentElement.scrollWidth, document.documentElement.clientWidth,
                  document.body.scrollWidth, document.body.clientWidth]"""
    )
    assert widths[0] <= widths[1] and widths[2] <= widths[3], widths


async def test_a_phone_reaches_editor_run_console_and_input(new_page: NewPage) -> None:
    page = await new_page()
    await page.set_viewport_size(PHONE)
    await page.goto("/")
    await expect(page.get_by_role("combobox", name="Language")).to_have_value("python")
    await _no_sideways_scroll(page)
    editor = page.get_by_role("textbox", name="Code", exact=True)
    await expect(editor).to_be_in_viewport()

    # The exercises are a drawer: a button opens it, Escape closes it, the focus comes back.
    opener = page.get_by_role("button", name="Exercises", exact=True)
    await expect(opener).to_have_attribute("aria-expanded", "false")
    await expect(page.get_by_role("tab", name="Exercises")).to_be_hidden()
    await opener.click()
    drawer = page.get_by_role("complementary", name="Exercises, history and classes")
    await expect(drawer).to_be_visible()
    await expect(page.get_by_role("tab", name="Exercises")).to_be_focused()
    await expect(
        drawer.get_by_role("button", name=re.compile("Sum of Two Numbers"))
    ).to_be_visible()
    await _no_sideways_scroll(page)
    await assert_accessible(page)
    await screenshot(page, "ide-phone-drawer.png")
    await page.keyboard.press("Escape")
    await expect(drawer).to_be_hidden()
    await expect(opener).to_be_focused()
    await opener.click()
    await drawer.get_by_role("button", name="Close the side panel").click()
    await expect(drawer).to_be_hidden()

    await set_code(page, 'print("\\n".join(f"line {i}" for i in range(40)))\n')
    run = page.get_by_role("button", name="Run", exact=True)
    await run.click()
    await expect(console(page)).to_contain_text("line 39")
    await expect(run_status(page)).to_contain_text("OK · exit code 0")
    await expect(console(page)).to_be_in_viewport()
    await expect(run).to_be_in_viewport()
    await expect(page.get_by_role("textbox", name="Input", exact=True)).to_be_in_viewport()
    await _no_sideways_scroll(page)
    await screenshot(page, "ide-phone-after-run.png")


async def test_an_exercise_shows_its_whole_title_and_each_example_once(
    new_page: NewPage,
) -> None:
    page = await new_page()
    await page.goto("/")
    panel = page.get_by_role("tabpanel", name="Exercises")
    await panel.get_by_role("button", name=re.compile("Row and Column Sums")).click()
    title = page.locator("#context-label")
    await expect(title).to_have_text("Exercise: Row and Column Sums")
    cut = await title.evaluate("el => el.scrollWidth > el.clientWidth")
    assert not cut
    await panel.get_by_role("button", name="All exercises").click()

    await panel.get_by_role("button", name=re.compile("Sum of Two Numbers")).click()
    await expect(panel.locator(".markdown")).to_contain_text("2 3")
    listed = panel.locator(".example").filter(has_text=re.compile(r"^Example \d+Input2 3"))
    await expect(listed).to_have_count(0)


async def test_a_failing_check_shows_expected_and_actual_side_by_side(new_page: NewPage) -> None:
    page = await new_page()
    await page.goto("/")
    panel = page.get_by_role("tabpanel", name="Exercises")
    await panel.get_by_role("button", name=re.compile("Sum of Two Numbers")).click()
    await expect(page.locator("#context-label")).to_have_text("Exercise: Sum of Two Numbers")

    await set_code(page, "a, b = map(int, input().split())\nprint(a + b + 1)\n")
    await page.get_by_role("button", name="Check solution").click()
    results = page.get_by_role("region", name="Check results")
    await expect(results).to_contain_text("0 of 6 tests passed: Wrong answer")
    await expect(results).to_be_in_viewport()
    first = results.locator(".case").first
    await expect(first).to_contain_text("Test #1: failed (Wrong answer)")
    await expect(first.locator("details")).to_have_attribute("open", "")
    second = results.locator(".case").nth(1).locator("details")
    await expect(second).not_to_have_attribute("open", "")
    await expect(first.locator(".io.input")).to_contain_text("2 3")
    expected = first.locator(".io.expected")
    actual = first.locator(".io.actual")
    await expect(expected).to_contain_text("5")
    await expect(actual).to_contain_text("6")
    await expect(actual.locator("mark.diff-line")).to_contain_text("6")
    await expect(expected).to_be_in_viewport()
    await expect(actual).to_be_in_viewport()
    await expect(first).to_contain_text("The first difference is on line 1.")
    left = await expected.bounding_box()
    right = await actual.bounding_box()
    assert left and right
    assert left["x"] + left["width"] <= right["x"] and abs(left["y"] - right["y"]) < 2
    await expect(results).to_contain_text("Hidden test #4: failed")
    await expect(run_status(page)).to_have_text("Checked: 0 of 6 tests passed")
    await assert_accessible(page)
    await screenshot(page, "ide-check-failed.png")

    # A run shows the console again; the verdict is a click away.
    await set_code(page, "a, b = map(int, input().split())\nprint(a + b)\n")
    await page.get_by_role("button", name="Run", exact=True).click()
    await expect(console(page)).to_be_visible()
    await expect(results).to_be_hidden()
    await page.get_by_role("button", name="Check results").click()
    await expect(results).to_be_visible()
    await page.get_by_role("button", name="Check solution").click()
    await expect(results).to_contain_text("All 6 tests passed")
    await expect(results.locator(".case.good")).to_have_count(6)

    # On a phone the verdict comes into view as well.
    await page.set_viewport_size(PHONE)
    await set_code(page, "print(0)\n")
    await page.get_by_role("button", name="Check solution").click()
    await expect(results).to_contain_text(re.compile(r"\d of 6 tests passed: Wrong answer"))
    await expect(results.locator(".case").first).to_be_in_viewport()
    await expect(page.get_by_role("button", name="Check solution")).to_be_in_viewport()
    await _no_sideways_scroll(page)


async def test_panes_are_resized_from_the_keyboard_and_remembered(new_page: NewPage) -> None:
    page = await new_page()
    await page.goto("/")
    editor = page.locator("#editor")
    await expect(page.get_by_role("combobox", name="Language")).to_have_value("python")
    before = await editor.bounding_box()
    handle = page.get_by_role("separator", name="Height of the editor")
    await expect(handle).to_have_attribute("aria-valuenow", "50")
    await handle.focus()
    for _ in range(3):
        await page.keyboard.press("ArrowDown")
    await expect(handle).to_have_attribute("aria-valuenow", "65")
    after = await editor.bounding_box()
    assert before and after and after["height"] > before["height"] + 50

    side = page.get_by_role("separator", name="Width of the side panel")
    sidebar = page.locator("#sidebar")
    narrow = await sidebar.bounding_box()
    await side.focus()
    await page.keyboard.press("ArrowRight")
    await page.keyboard.press("ArrowRight")
    await expect(side).to_have_attribute("aria-valuenow", "380")
    wide = await sidebar.bounding_box()
    assert narrow and wide and wide["width"] == narrow["width"] + 40

    await page.reload()
    await expect(handle).to_have_attribute("aria-valuenow", "65")
    await expect(side).to_have_attribute("aria-valuenow", "380")
    await handle.focus()
    await page.keyboard.press("Home")
    await expect(handle).to_have_attribute("aria-valuenow", "15")


async def test_the_theme_follows_the_system_until_chosen_and_the_code_size_is_kept(
    new_page: NewPage,
) -> None:
    page = await new_page()
    await page.emulate_media(color_scheme="dark")
    await page.goto("/")
    root = page.locator("html")
    await expect(root).to_have_attribute("data-theme", "dark")
    toggle = page.get_by_role("button", name="Dark theme")
    await expect(toggle).to_have_attribute("aria-pressed", "true")
    dark = await page.evaluate("getComputedStyle(document.body).backgroundColor")
    await toggle.click()
    await expect(root).to_have_attribute("data-theme", "light")
    await expect(toggle).to_have_attribute("aria-pressed", "false")
    light = await page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert dark != light and light == "rgb(255, 255, 255)"
    await assert_accessible(page)
    await screenshot(page, "ide-light.png")

    size = page.locator("#font-size")
    await expect(size).to_have_text("14 px")
    await page.get_by_role("button", name="Larger code text").click()
    await page.get_by_role("button", name="Larger code text").click()
    await expect(size).to_contain_text("16 px")
    code_size = await page.get_by_role("textbox", name="Code", exact=True).evaluate(
        "el => getComputedStyle(el).fontSize"
    )
    assert code_size == "16px"

    # Chosen here, both outlast a reload, whatever the system prefers.
    await page.reload()
    await expect(root).to_have_attribute("data-theme", "light")
    await expect(size).to_have_text("16 px")
    await page.emulate_media(color_scheme="light")
    await page.get_by_role("button", name="Dark theme").click()
    await expect(root).to_have_attribute("data-theme", "dark")
