"""A flood of output reaches the socket as a few hundred messages, whole and in order."""

from __future__ import annotations

from .classroom import run
from .conftest import Account, Client

LINES = 100_000
FLOOD = f"for i in range({LINES}): print(i)"


async def test_a_flood_of_lines_comes_in_a_few_hundred_messages(
    client: Client, student: Account
) -> None:
    ran = await run(client, student, FLOOD)
    output = [m for m in ran.messages if m["type"] == "stdout"]
    assert "".join(m["data"] for m in output) == "".join(f"{i}\n" for i in range(LINES))
    assert len(output) <= 400, len(output)
    assert ran.messages[-1]["type"] == "exit" and ran.messages[-1]["status"] == "ok"
