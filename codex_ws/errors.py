"""The error contract: every stable code, its HTTP status, and whether it says when to retry.

Domain and storage code raise `ServiceError`; the web layer turns it into a response or a
WebSocket `error` message. Nothing here knows HTTP beyond the status number of each code.
"""

from __future__ import annotations

from enum import StrEnum


class Code(StrEnum):
    """A stable error code of the contract (docs/openapi.yaml's `ErrorCode`)."""

    status: int
    retries: bool

    def __new__(cls, value: str, status: int, retries: bool = False) -> Code:
        member = str.__new__(cls, value)
        member._value_ = value
        member.status = status
        member.retries = retries
        return member

    @classmethod
    def named(cls, value: str) -> Code:
        """The code whose value is `value` (ValueError if none)."""
        for code in cls:
            if code.value == value:
                return code
        raise ValueError(f"no error code {value!r}")

    INVALID_JSON = ("invalid_json", 400)
    INVALID_REQUEST = ("invalid_request", 400)
    INVALID_MESSAGE = ("invalid_message", 400)
    UNKNOWN_LANGUAGE = ("unknown_language", 400)
    LIMIT_TOO_HIGH = ("limit_too_high", 400)
    UNAUTHORIZED = ("unauthorized", 401)
    FORBIDDEN = ("forbidden", 403)
    READ_ONLY = ("read_only", 403)
    NOT_FOUND = ("not_found", 404)
    METHOD_NOT_ALLOWED = ("method_not_allowed", 405)
    CONFLICT = ("conflict", 409)
    ALREADY_RUNNING = ("already_running", 409)
    PAYLOAD_TOO_LARGE = ("payload_too_large", 413)
    UNSUPPORTED_MEDIA_TYPE = ("unsupported_media_type", 415)
    RATE_LIMITED = ("rate_limited", 429, True)
    INTERNAL = ("internal", 500)
    BUSY = ("busy", 503, True)
    UNAVAILABLE = ("unavailable", 503, True)


class ServiceError(Exception):
    """An error with a stable code and a message that says what went wrong and what to do.

    `retry_after` (seconds) goes with the codes that retry: `Retry-After` on HTTP, `retryAfter`
    on a WebSocket.
    """

    def __init__(self, code: Code, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.retry_after = retry_after if code.retries else None
