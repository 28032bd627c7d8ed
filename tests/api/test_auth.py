"""Accounts and tokens: register, log in, me; forged, expired and `alg: none` tokens refused."""

from __future__ import annotations

import base64
import json

import pytest

from .conftest import Account, Client, SignUp, assert_error, forge_token


async def test_register_returns_a_token_and_the_user_without_the_password(client: Client) -> None:
    response = await client.post(
        "/api/auth/register",
        json={"email": "Ada.New@Example.test", "password": "analytical", "name": "Ada"},
    )
    body = await response.json()
    if response.status == 409:  # a previous run of this suite registered her
        return
    assert response.status == 201, body
    assert set(body) == {"token", "user"}
    assert set(body["user"]) == {"id", "email", "name", "role", "createdAt"}
    assert body["user"]["role"] == "student"
    assert "analytical" not in json.dumps(body)


async def test_login_and_me(client: Client, student: Account) -> None:
    response = await client.post(
        "/api/auth/login", json={"email": student.email, "password": "correct horse"}
    )
    body = await response.json()
    assert response.status == 200, body
    me = await client.get("/api/auth/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert (await me.json())["user"]["id"] == student.id


async def test_duplicate_email_is_a_conflict_in_any_case(client: Client, student: Account) -> None:
    response = await client.post(
        "/api/auth/register",
        json={"email": student.email.upper(), "password": "whatever!", "name": "Dup"},
    )
    await assert_error(response, 409, "conflict")


async def test_wrong_password_and_unknown_email_answer_the_same(
    client: Client, student: Account
) -> None:
    wrong = await client.post(
        "/api/auth/login", json={"email": student.email, "password": "wrong password"}
    )
    unknown = await client.post(
        "/api/auth/login", json={"email": "nobody@example.test", "password": "wrong password"}
    )
    assert await assert_error(wrong, 401, "unauthorized") == await assert_error(
        unknown, 401, "unauthorized"
    )


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        ({"email": "a@b.test", "password": "short", "name": "A"}, "at least 8"),
        ({"email": "not-an-email", "password": "long enough", "name": "A"}, "email"),
        ({"email": "a@b.test", "password": "long enough"}, "'name' is required"),
        ({"email": "a@b.test", "password": 12345678, "name": "A"}, "'password' must be a string"),
        ({"email": "a@b.test", "password": "x" * 100, "name": "A"}, "at most 72 bytes"),
        ({"email": "a@b.test", "password": "long enough", "name": "A", "role": "admin"}, "role"),
        ({"email": "a\x00@b.test", "password": "long enough", "name": "A"}, "email"),
        ({"email": "a@b.test", "password": "long enough", "name": "A\x00"}, "NUL"),
    ],
)
async def test_bad_registrations_say_what_is_wrong(
    client: Client, payload: dict[str, object], fragment: str
) -> None:
    body = await assert_error(
        await client.post("/api/auth/register", json=payload), 400, "invalid_request"
    )
    assert fragment in body["error"]


async def test_logins_no_account_can_have_are_refused_like_any_other(
    client: Client, student: Account
) -> None:
    """A password over bcrypt's 72 bytes, or an email with a NUL, can match no account."""
    for email, password in [
        (student.email, "x" * 73),
        (student.email, "é" * 40),
        (student.email + "\x00", "correct horse"),
    ]:
        response = await client.post("/api/auth/login", json={"email": email, "password": password})
        body = await assert_error(response, 401, "unauthorized")
        assert body["error"] == "Wrong email or password"


async def test_a_teacher_needs_the_teacher_code(client: Client, sign_up: SignUp) -> None:
    response = await client.post(
        "/api/auth/register",
        json={
            "email": "t@example.test",
            "password": "long enough",
            "name": "T",
            "role": "teacher",
            "teacherCode": "guess",
        },
    )
    await assert_error(response, 403, "forbidden")
    teacher = await sign_up("teacher")
    assert teacher.role == "teacher"


async def test_sql_looking_text_is_stored_verbatim(client: Client, sign_up: SignUp) -> None:
    name = "Robert'); DROP TABLE users;-- \\ $1 %s"
    account = await sign_up(name=name)
    me = await client.get("/api/auth/me", headers=account.headers)
    assert (await me.json())["user"]["name"] == name


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


@pytest.mark.parametrize(
    "token",
    [
        forge_token(secret="not-the-server-secret-but-long-enough-xx"),
        forge_token(exp=1_000_000_000, iat=999_999_000),
        forge_token(algorithm="HS512"),
        _b64({"alg": "none", "typ": "JWT"}) + "." + _b64({"sub": "x", "exp": 9_999_999_999}) + ".",
        "not.a.token",
        "garbage",
    ],
    ids=["bad-signature", "expired", "other-algorithm", "alg-none", "malformed", "garbage"],
)
async def test_bad_tokens_are_refused(client: Client, token: str) -> None:
    response = await client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    await assert_error(response, 401, "unauthorized")


async def test_me_needs_a_token(client: Client) -> None:
    await assert_error(await client.get("/api/auth/me"), 401, "unauthorized")
    response = await client.get("/api/auth/me", headers={"Authorization": "Basic abc"})
    await assert_error(response, 401, "unauthorized")


async def test_a_valid_token_for_a_deleted_account_is_refused(client: Client) -> None:
    await assert_error(
        await client.get("/api/auth/me", headers={"Authorization": f"Bearer {forge_token()}"}),
        401,
        "unauthorized",
    )
