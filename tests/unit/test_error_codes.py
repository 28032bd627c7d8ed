"""The error codes are a contract: the enum in the code and the one in docs/openapi.yaml agree,
code by code and status by status."""

from __future__ import annotations

import re
from typing import Any

import yaml

from codex_ws.errors import Code, ServiceError
from codex_ws.routes.docs import OPENAPI_FILE
from sandbox import errors as sandbox_errors


def _error_code_schema() -> dict[str, Any]:
    schema: dict[str, Any] = yaml.safe_load(OPENAPI_FILE.read_text())["components"]["schemas"]
    return schema["ErrorCode"]


def test_openapi_lists_exactly_the_codes_of_the_enum() -> None:
    assert _error_code_schema()["enum"] == [code.value for code in Code]


def test_openapi_gives_each_code_the_status_the_server_answers_with() -> None:
    rows = re.findall(r"^\| `(\w+)` \| (\d{3}) \|", _error_code_schema()["description"], re.M)
    assert {name: int(status) for name, status in rows} == {c.value: c.status for c in Code}


def test_only_the_codes_that_say_when_to_retry_carry_a_retry_after() -> None:
    assert {c for c in Code if c.retries} == {Code.RATE_LIMITED, Code.BUSY, Code.UNAVAILABLE}
    assert ServiceError(Code.BUSY, "x", retry_after=2).retry_after == 2
    assert ServiceError(Code.NOT_FOUND, "x", retry_after=2).retry_after is None


def test_every_sandbox_error_has_a_code_of_the_contract() -> None:
    classes = [
        value
        for value in vars(sandbox_errors).values()
        if isinstance(value, type) and issubclass(value, sandbox_errors.SandboxError)
    ]
    assert len(classes) > 3
    for cls in classes:
        assert Code.named(cls.code).value == cls.code
