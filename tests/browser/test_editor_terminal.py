"""The IDE's editor (CodeMirror) and its console's terminal (xterm.js) in a real browser:
highlighting, brackets, search and indentation; typing into a running program, Ctrl+C and
Ctrl+D; ANSI colours; a 100,000-line flood shown to its end; the full output downloaded."""

from __future__ import annotations

import re
import time
from pathlib import Path

from playwright.async_api import Locator, Page, expect

from .conftest import NewPage, assert_accessible, console, expect_code, run_status, set_code

FLOOD = "for i in range(100000):\n    print(i)\n"


def terminal_rows(page: Page) -> Locator:
    """The rows on the IDE terminal's screen (its scrollback is not drawn)."""
    return console(page).locator(".xterm-rows")


async def run(page: Page) -> None:
    await page.get_by_role("button", name="Run", exact=True).click()


async def test_python_is_highlighted_and_brackets_match(new_page: NewPage) -> None:
    page = await new_page()
    await page.goto("/")
    await expect(page.get_by_role("combobox", name="Language")).to_have_value("python")
    await set_code(page, "def f(x):\n    return (x + 1)\n")
    editor = page.get_by_role("textbox", name="Code", exact=True)
    # A keyword is a token of its own, in the keyword colour.
    keyword = editor.locator("span", has_text="def").first
    await expect(keyword).to_have_text("def")
    await expect(keyword).to_have_css("color", "rgb(255, 123, 114)")

    # The caret after an opening bracket marks its partner.
    await editor.click()
    await page.keyboard.press("Control+Home")
    await page.keyboard.press("ArrowDown")
    await page.keyboard.press("End")
    await expect(editor.locator(".cm-matchingBracket")).to_have_count(2)
    await expect(editor.locator(".cm-matchingBracket").first).to_have_text("(")

    # Ctrl+F opens the search panel, its field focused.
    await page.keyboard.press("Control+f")
    find = page.get_by_role("textbox", name="Find")
    await expect(find).to_be_focused()
    await find.press_sequentially("return")
    await expect(page.locator(".cm-searchMatch")).to_have_count(1)
    await assert_accessible(page)
    await page.keyboard.press("Escape")
    await expect(find).to_be_hidden()


async def test_enter_indents_and_esc_then_tab_leaves(new_page: NewPage) -> None:
    page = await new_page()
    await page.goto("/")
    await set_code(page, "")
    editor = page.get_by_role("textbox", name="Code", exact=True)
    await editor.click()
    await page.keyboard.type("def f():")
    await page.keyboard.press("Enter")
    await page.keyboard.type("pass")
    await expect_code(page, "def f():\n    pass")
    # Tab alone indents and keeps the focus; Esc then Tab moves it on.
    await page.keyboard.press("Tab")
    await expect(editor).to_be_focused()
    await page.keyboard.press("Escape")
    await page.keyboard.press("Tab")
    await expect(editor).not_to_be_focused()


async def test_every_language_of_the_server_is_highlighted(new_page: NewPage) -> None:
    page = await new_page()
    await page.goto("/")
    select = page.get_by_role("combobox", name="Language")
    await expect(select).to_have_value("python")
    languages = await select.locator("option").evaluate_all("options => options.map(o => o.value)")
    coloured = """() => [...document.querySelectorAll("#code .cm-line span")]
        .filter((span) => getComputedStyle(span).color !== "rgb(230, 237, 243)").length"""
    for language in languages:
        await select.select_option(language)
        # Its starter program has tokens in colours other than the plain text's.
        await page.wait_for_function(coloured)


async def test_typing_into_the_terminal_feeds_the_program(new_page: NewPage) -> None:
    page = await new_page()
    await page.goto("/")
    await set_code(page, 'name = input("name? ")\nprint(f"Hello, {name}!")\n')
    await run(page)
    await expect(terminal_rows(page)).to_contain_text("name? ")
    await console(page).click()
    await page.keyboard.type("Grxx")
    await page.keyboard.press("Backspace")
    await page.keyboard.press("Backspace")
    await page.keyboard.type("ace")
    await expect(terminal_rows(page)).to_contain_text("name? Grace")
    await page.keyboard.press("Enter")
    await expect(terminal_rows(page)).to_contain_text("Hello, Grace!")
    await expect(run_status(page)).to_contain_text("OK · exit code 0")
    await assert_accessible(page)


async def test_ctrl_c_interrupts_and_ctrl_d_ends_the_input(new_page: NewPage) -> None:
    page = await new_page()
    await page.goto("/")
    await set_code(
        page, "import time\nwhile True:\n    print('tick', flush=True)\n    time.sleep(0.2)\n"
    )
    await run(page)
    await expect(terminal_rows(page)).to_contain_text("tick")
    await console(page).click()
    await page.keyboard.press("Control+c")
    await expect(terminal_rows(page)).to_contain_text("KeyboardInterrupt")
    await expect(run_status(page)).not_to_contain_text("Running")

    await set_code(
        page,
        "import sys\nfor line in sys.stdin:\n    print('got', line.strip(), flush=True)\n"
        "print('the end')\n",
    )
    await run(page)
    await expect(run_status(page)).to_contain_text("Running")
    await console(page).click()
    await page.keyboard.type("one")
    await page.keyboard.press("Enter")
    await expect(terminal_rows(page)).to_contain_text("got one")
    await page.keyboard.press("Control+d")
    await expect(terminal_rows(page)).to_contain_text("the end")
    await expect(run_status(page)).to_contain_text("OK · exit code 0")


async def test_ansi_colours_show_as_colours(new_page: NewPage) -> None:
    page = await new_page()
    await page.goto("/")
    await set_code(page, 'print("\\033[31mred\\033[0m and plain")\n')
    await run(page)
    red = terminal_rows(page).locator("span", has_text="red").first
    await expect(red).to_have_text("red")
    await expect(red).to_have_css("color", "rgb(255, 123, 114)")
    await expect(terminal_rows(page)).to_contain_text("red and plain")
    await assert_accessible(page)


async def test_a_flood_of_output_shows_to_its_last_line(new_page: NewPage) -> None:
    page = await new_page()
    await page.goto("/")
    await set_code(page, FLOOD)
    # The moment the exit message arrives, and when "99999" is on the terminal's screen.
    await page.evaluate(
        """() => {
            window.floodTimes = { longestTask: 0 };
            new PerformanceObserver((list) => {
                const times = window.floodTimes;
                for (const task of list.getEntries())
                    times.longestTask = Math.max(times.longestTask, task.duration);
            }).observe({ type: "longtask" });
            const status = document.querySelector("#run-status");
            new MutationObserver(() => {
                if (/exit code/.test(status.textContent) && !window.floodTimes.exit)
                    window.floodTimes.exit = performance.now();
            }).observe(status, { childList: true, characterData: true, subtree: true });
            const rows = () => document.querySelector("#console .xterm-rows");
            const look = () => {
                const lines = [...(rows()?.children ?? [])].map((row) => row.textContent.trim());
                if (lines.includes("99999")) window.floodTimes.last = performance.now();
                else requestAnimationFrame(look);
            };
            requestAnimationFrame(look);
        }"""
    )
    started = time.monotonic()
    await run(page)
    # The page answers while the output pours in: a click on the History tab shows it.
    await expect(terminal_rows(page)).to_contain_text(re.compile(r"\d{5}"))
    await page.get_by_role("tab", name="History").click()
    await expect(page.get_by_role("tabpanel", name="History")).to_be_visible(timeout=5_000)
    await page.get_by_role("tab", name="Exercises").click()
    await expect(terminal_rows(page)).to_contain_text("99999", timeout=60_000)
    await expect(run_status(page)).to_contain_text("exit code 0")
    times = await page.evaluate("() => window.floodTimes")
    print(
        f"\n100,000 lines: run to last line {time.monotonic() - started:.2f} s;"
        f" exit to last line {(times['last'] - times['exit']) / 1000:.2f} s;"
        f" longest task of the page {times['longestTask']:.0f} ms"
    )


async def test_the_full_output_downloads(new_page: NewPage, tmp_path: Path) -> None:
    page = await new_page()
    await page.goto("/")
    await set_code(page, "for i in range(8000):\n    print(i)\n")
    await run(page)
    await expect(run_status(page)).to_contain_text("OK · exit code 0")
    await expect(terminal_rows(page)).to_contain_text("7999")
    link = console(page).get_by_role("link", name="Download full output")
    async with page.expect_download() as waiting:
        await link.click()
    download = await waiting.value
    saved = tmp_path / "output.txt"
    await download.save_as(saved)
    text = saved.read_text()
    # Past the terminal's scrollback, every line is still there.
    assert "\n".join(str(i) for i in range(8000)) + "\n" in text
    assert "Process finished: OK · exit code 0" in text


async def test_the_terminal_follows_the_pages_colours_and_text_size(new_page: NewPage) -> None:
    page = await new_page()
    await page.goto("/")
    await set_code(page, 'import sys\nprint("oops", file=sys.stderr)\n')
    await run(page)
    oops = terminal_rows(page).locator("span", has_text="oops").first
    await expect(oops).to_have_css("color", "rgb(255, 163, 156)")
    # A theme sets the page's custom properties on the root element; the text already shown
    # takes the new colours.
    await page.evaluate(
        """() => {
            const root = document.documentElement.style;
            root.setProperty("--console-bg", "#ffffff");
            root.setProperty("--stdout", "#1f2328");
            root.setProperty("--stderr", "#a40e26");
            root.setProperty("--code-size", "18px");
        }"""
    )
    await expect(oops).to_have_css("color", "rgb(164, 14, 38)")
    await expect(terminal_rows(page)).to_have_css("font-size", "18px")
