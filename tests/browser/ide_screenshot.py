"""Make the README's picture of the IDE (docs/ide.png) against a running server:

    .venv/bin/python -m tests.browser.ide_screenshot http://127.0.0.1:4003

It opens an exercise in the dark theme, runs an interactive solution to its end, and saves the
page at 1280x800."""

from __future__ import annotations

import asyncio
import re
import sys
from pathlib import Path

from playwright.async_api import async_playwright, expect

from .conftest import CHROMIUM, CHROMIUM_ARGS, VIEWPORT

TARGET = Path(__file__).resolve().parents[2] / "docs" / "ide.png"
SOLUTION = (
    'line = input("Two numbers: ")\n'
    "a, b = map(int, line.split())\n"
    "\n"
    "# Python's integers have no upper limit: no overflow here.\n"
    "print(a + b)\n"
)


async def main(base_url: str) -> None:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        context = await browser.new_context(
            base_url=base_url, viewport=VIEWPORT, color_scheme="dark"
        )
        page = await context.new_page()
        await page.goto("/")
        panel = page.get_by_role("tabpanel", name="Exercises")
        await panel.get_by_role("button", name=re.compile("Sum of Two Numbers")).click()
        editor = page.get_by_role("textbox", name="Code", exact=True)
        await editor.fill(SOLUTION)
        await page.get_by_role("button", name="Run", exact=True).click()
        stdin = page.get_by_role("textbox", name="Input", exact=True)
        await expect(stdin).to_be_enabled(timeout=30_000)
        await stdin.fill("20 22")
        await stdin.press("Enter")
        await expect(page.locator("#run-status")).to_contain_text("OK", timeout=30_000)
        await page.locator("body").click(position={"x": 5, "y": 790})
        await page.screenshot(path=TARGET)
        await browser.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:4003"))
