"""Share links: made once, read by anyone with the link, opened in the IDE at `/s/{id}`."""

from __future__ import annotations

import dataclasses

from .conftest import Account, Client, assert_error, make_settings, start_client

CODE = "print('shared ✓')\n"


async def test_a_share_link_keeps_a_copy_of_the_code(client: Client, student: Account) -> None:
    response = await client.post(
        "/api/snippets", json={"language": "py", "code": CODE}, headers=student.headers
    )
    made = await response.json()
    assert response.status == 201, made
    assert made["language"] == "python" and made["code"] == CODE
    assert len(made["id"]) == 12 and made["url"].endswith(f"/s/{made['id']}")
    assert made["createdAt"]

    # Anyone with the link reads it, signed in or not.
    shown = await client.get(f"/api/snippets/{made['id']}")
    assert shown.status == 200 and await shown.json() == made
    page = await client.get(f"/s/{made['id']}")
    assert page.status == 200 and "text/html" in page.headers["Content-Type"]
    assert "<html" in (await page.text()).lower()

    # A second link is another copy; nothing changes the first.
    again = await (
        await client.post("/api/snippets", json={"language": "python", "code": "1"})
    ).json()
    assert again["id"] != made["id"]
    assert (await (await client.get(f"/api/snippets/{made['id']}")).json())["code"] == CODE


async def test_bad_share_links_say_what_is_wrong(client: Client) -> None:
    for body, status, code in (
        ({"language": "cobol", "code": "x"}, 400, "unknown_language"),
        ({"language": "python"}, 400, "invalid_request"),
        ({"language": "python", "code": "x" * ((64 << 10) + 1)}, 413, "payload_too_large"),
        ({"language": "python", "code": "a\x00b"}, 400, "invalid_request"),
    ):
        await assert_error(await client.post("/api/snippets", json=body), status, code)
    for unknown in ("AAAAAAAAAAAA", "short", "x" * 200):
        await assert_error(await client.get(f"/api/snippets/{unknown}"), 404, "not_found")


async def test_share_links_have_a_rate() -> None:
    settings = dataclasses.replace(make_settings(), snippets_per_minute=2)
    client = await start_client(settings)
    try:
        for _ in range(2):
            response = await client.post("/api/snippets", json={"language": "python", "code": "1"})
            assert response.status == 201
        response = await client.post("/api/snippets", json={"language": "python", "code": "1"})
        await assert_error(response, 429, "rate_limited")
        assert int(response.headers["Retry-After"]) >= 1
    finally:
        await client.close()
