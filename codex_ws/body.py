"""Reading and checking JSON request bodies, with errors that say which field is wrong."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from .errors import ApiError


def parse_json(raw: str | bytes, what: str = "The request body") -> Any:
    """JSON text as Python values, or `invalid_json` / `invalid_request` saying what is wrong.

    Besides text that is not JSON, two things are refused: nesting so deep that the parser
    runs out of recursion, and a `\\uD800`-style escape that is not part of a surrogate pair
    (the parser accepts it, but the string is no text: it cannot be encoded, stored or sent on).
    """
    try:
        data = json.loads(raw)
    except RecursionError:
        raise ApiError("invalid_json", f"{what} is nested too deeply") from None
    except (ValueError, UnicodeDecodeError):
        raise ApiError("invalid_json", f"{what} is not valid JSON") from None
    try:
        json.dumps(data, ensure_ascii=False).encode()
    except UnicodeEncodeError:
        raise ApiError(
            "invalid_request",
            f"{what} has a \\u escape that is half a surrogate pair: strings must be text",
        ) from None
    except RecursionError:
        raise ApiError("invalid_json", f"{what} is nested too deeply") from None
    return data


async def json_object(request: web.Request) -> dict[str, Any]:
    """The body as a JSON object (the app's `client_max_size` caps its size: 413)."""
    data = parse_json(await request.read())
    if not isinstance(data, dict):
        raise ApiError("invalid_request", "The request body must be a JSON object")
    return data


def string(data: dict[str, Any], name: str, *, max_length: int | None = None) -> str:
    value = data.get(name)
    if value is None:
        raise ApiError("invalid_request", f"'{name}' is required")
    if not isinstance(value, str):
        raise ApiError("invalid_request", f"'{name}' must be a string")
    if max_length is not None and len(value) > max_length:
        raise ApiError("invalid_request", f"'{name}' is longer than {max_length} characters")
    return value


def without_nul(value: str, name: str) -> str:
    """`value`, unless it holds a NUL character, which PostgreSQL's text cannot store."""
    if "\x00" in value:
        raise ApiError("invalid_request", f"'{name}' cannot contain NUL characters")
    return value


def optional_string(data: dict[str, Any], name: str, default: str = "") -> str:
    return default if data.get(name) is None else string(data, name)


def string_list(data: dict[str, Any], name: str) -> list[str]:
    value = data.get(name)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ApiError("invalid_request", f"'{name}' must be a list of strings")
    return value


def optional_object(data: dict[str, Any], name: str) -> dict[str, Any]:
    value = data.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ApiError("invalid_request", f"'{name}' must be an object")
    return value


def optional_int(data: dict[str, Any], name: str, label: str | None = None) -> int | None:
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ApiError("invalid_request", f"'{label or name}' must be an integer")
    return value


def boolean(data: dict[str, Any], name: str, default: bool = False) -> bool:
    value = data.get(name, default)
    if not isinstance(value, bool):
        raise ApiError("invalid_request", f"'{name}' must be true or false")
    return value
