"""Reading and checking JSON request bodies, with errors that say which field is wrong."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from ..errors import Code, ServiceError


def parse_json(raw: str | bytes, what: str = "The request body") -> Any:
    """JSON text as Python values, or `invalid_json` / `invalid_request` saying what is wrong.

    Besides text that is not JSON, two things are refused: nesting so deep that the parser
    runs out of recursion, and a `\\uD800`-style escape that is not part of a surrogate pair
    (the parser accepts it, but the string is no text: it cannot be encoded, stored or sent on).
    """
    try:
        data = json.loads(raw)
    except RecursionError:
        raise ServiceError(Code.INVALID_JSON, f"{what} is nested too deeply") from None
    except (ValueError, UnicodeDecodeError):
        raise ServiceError(Code.INVALID_JSON, f"{what} is not valid JSON") from None
    try:
        json.dumps(data, ensure_ascii=False).encode()
    except UnicodeEncodeError:
        raise ServiceError(
            Code.INVALID_REQUEST,
            f"{what} has a \\u escape that is half a surrogate pair: strings must be text",
        ) from None
    except RecursionError:
        raise ServiceError(Code.INVALID_JSON, f"{what} is nested too deeply") from None
    return data


async def json_object(request: web.Request) -> dict[str, Any]:
    """The body as a JSON object (the app's `client_max_size` caps its size: 413).

    Only with `Content-Type: application/json`: a page of another site can send a cross-site
    form or a "simple" request (`text/plain` and the like) without asking first, but not JSON.
    """
    if request.content_type != "application/json":
        sent = request.headers.get("Content-Type")
        raise ServiceError(
            Code.UNSUPPORTED_MEDIA_TYPE,
            "Send the body as JSON with the header 'Content-Type: application/json' "
            + (f"(it came as {sent[:100]!r})" if sent else "(it came without a Content-Type)"),
        )
    data = parse_json(await request.read())
    if not isinstance(data, dict):
        raise ServiceError(Code.INVALID_REQUEST, "The request body must be a JSON object")
    return data


def string(data: dict[str, Any], name: str, *, max_length: int | None = None) -> str:
    value = data.get(name)
    if value is None:
        raise ServiceError(Code.INVALID_REQUEST, f"'{name}' is required")
    if not isinstance(value, str):
        raise ServiceError(Code.INVALID_REQUEST, f"'{name}' must be a string")
    if max_length is not None and len(value) > max_length:
        raise ServiceError(Code.INVALID_REQUEST, f"'{name}' is longer than {max_length} characters")
    return value


def optional_string(data: dict[str, Any], name: str, default: str = "") -> str:
    return default if data.get(name) is None else string(data, name)


def string_list(data: dict[str, Any], name: str) -> list[str]:
    value = data.get(name)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ServiceError(Code.INVALID_REQUEST, f"'{name}' must be a list of strings")
    return value


def optional_object(data: dict[str, Any], name: str) -> dict[str, Any]:
    value = data.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ServiceError(Code.INVALID_REQUEST, f"'{name}' must be an object")
    return value


def optional_int(data: dict[str, Any], name: str, label: str | None = None) -> int | None:
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ServiceError(Code.INVALID_REQUEST, f"'{label or name}' must be an integer")
    return value
