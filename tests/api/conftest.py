"""A real server (real Docker, PostgreSQL and Redis) and a client for the API tests."""

from __future__ import annotations

import dataclasses
import os
import secrets
import time
import uuid
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import jwt
import pytest
from aiohttp.test_utils import TestClient, TestServer

from codex_ws.app import create_app
from codex_ws.settings import DEFAULT_DATABASE_URL, Secret, Settings, Share

TEACHER_CODE = "teach-" + secrets.token_hex(4)
JWT_SECRET = secrets.token_urlsafe(32)

Client = TestClient[Any, Any]


def make_settings(**changes: Any) -> Settings:
    base = Settings.defaults(
        environment="test",
        # The shared database unless the environment names another, as for a real server.
        database_url=Secret(os.environ.get("CODEX_DATABASE_URL") or DEFAULT_DATABASE_URL),
        jwt_secret=Secret(JWT_SECRET),
        teacher_code=Secret(TEACHER_CODE),
        redis_prefix=f"codex-test-{secrets.token_hex(4)}",
        runs_per_minute=10_000,
        runs_per_minute_anonymous=10_000,
        validations_per_minute=10_000,
        concurrent_runs_per_user=50,
        pool_sizes={},
        # Every test client comes from 127.0.0.1 (tests of these limits set them).
        max_share_per_address=Share(percent=100),
        anonymous_share=Share(percent=100),
        registrations_per_hour=100_000,
        login_failures_per_address=100_000,
    )
    return dataclasses.replace(base, **changes)


async def start_client(settings: Settings) -> Client:
    client: Client = TestClient(TestServer(create_app(settings)))
    await client.start_server()
    return client


@pytest.fixture(scope="session")
async def client() -> AsyncIterator[Client]:
    client = await start_client(make_settings())
    yield client
    await client.close()


@dataclasses.dataclass(frozen=True)
class Account:
    id: str
    email: str
    token: str
    role: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


SignUp = Callable[..., Awaitable[Account]]


@pytest.fixture(scope="session")
def sign_up(client: Client) -> SignUp:
    async def sign_up(role: str = "student", **extra: Any) -> Account:
        email = f"{role}-{uuid.uuid4().hex[:10]}@example.test"
        payload = {"email": email, "password": "correct horse", "name": f"A {role}", "role": role}
        if role == "teacher":
            payload["teacherCode"] = TEACHER_CODE
        payload |= extra
        response = await client.post("/api/auth/register", json=payload)
        body = await response.json()
        assert response.status == 201, body
        return Account(body["user"]["id"], email, body["token"], role)

    return sign_up


@pytest.fixture
async def student(sign_up: SignUp) -> Account:
    return await sign_up("student")


@pytest.fixture
async def teacher(sign_up: SignUp) -> Account:
    return await sign_up("teacher")


def forge_token(secret: str = JWT_SECRET, algorithm: str = "HS256", **claims: Any) -> str:
    now = int(time.time())
    payload = {
        "sub": str(uuid.uuid4()),
        "role": "teacher",
        "name": "Mallory",
        "iss": "codex-ws",
        "iat": now,
        "exp": now + 3600,
    } | claims
    with warnings.catch_warnings():  # a short key for HS512 is the point of one test
        warnings.simplefilter("ignore")
        return jwt.encode(payload, secret, algorithm=algorithm)


async def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    body = await response.json()
    assert response.status == status, body
    assert body["code"] == code, body
    assert isinstance(body["error"], str) and body["error"], body
    assert set(body) == {"error", "code"}, body
    return body  # type: ignore[no-any-return]
