"""A classroom for the API tests: accounts, classes and live runs, made through the real API."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from typing import Any

import aiohttp

from codex_ws.web.keys import ACCOUNTS

from .conftest import Account, Client, SignUp
from .test_ws_run import until

Socket = aiohttp.ClientWebSocketResponse
PASSWORD = "correct horse"


async def make_admin(client: Client, sign_up: SignUp) -> Account:
    """A teacher promoted to admin (as `codex-ws users promote` does), signed in again."""
    teacher = await sign_up("teacher")
    await client.app[ACCOUNTS].set_role(teacher.email, "admin")
    response = await client.post(
        "/api/auth/login", json={"email": teacher.email, "password": PASSWORD}
    )
    body = await response.json()
    assert response.status == 200, body
    assert body["user"]["role"] == "admin"
    return Account(teacher.id, teacher.email, body["token"], "admin")


async def new_class(client: Client, teacher: Account, name: str = "Period 1") -> dict[str, Any]:
    response = await client.post("/api/classes", json={"name": name}, headers=teacher.headers)
    body: dict[str, Any] = await response.json()
    assert response.status == 201, body
    return body


async def join(client: Client, student: Account, code: str) -> dict[str, Any]:
    response = await client.post(
        "/api/classes/join", json={"joinCode": code}, headers=student.headers
    )
    body: dict[str, Any] = await response.json()
    assert response.status == 200, body
    return body


async def enroll(client: Client, teacher: Account, *students: Account) -> dict[str, Any]:
    """A new class of `teacher`'s that `students` join."""
    made = await new_class(client, teacher)
    for student in students:
        await join(client, student, made["joinCode"])
    return made


@dataclass
class Ran:
    session_id: str
    messages: list[dict[str, Any]]


async def run(client: Client, account: Account | None, code: str = "print('hi')") -> Ran:
    """A program run to its end over `/ws/run` (anonymously when `account` is None)."""
    path = "/ws/run" + (f"?token={account.token}" if account else "")
    async with client.ws_connect(path) as ws:
        await ws.send_json({"type": "run", "language": "python", "code": code})
        messages = await until(ws, "exit")
    started = next(m for m in messages if m["type"] == "started")
    return Ran(started["sessionId"], messages)


async def settled(client: Client, owner: Account, session_id: str) -> dict[str, Any]:
    """The session once its end is stored (milliseconds after its `exit` was sent)."""
    async with asyncio.timeout(10):
        while True:
            response = await client.get(f"/api/sessions/{session_id}", headers=owner.headers)
            body: dict[str, Any] = await response.json()
            if body["state"] != "running":
                return body
            await asyncio.sleep(0.05)


async def session_ids(client: Client, viewer: Account, query: str = "") -> set[str]:
    response = await client.get(f"/api/sessions{query}", headers=viewer.headers)
    body = await response.json()
    assert response.status == 200, body
    return {s["id"] for s in body["sessions"]}


def unknown_id() -> str:
    return str(uuid.uuid4())
