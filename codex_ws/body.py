"""Reading and checking JSON request bodies, with errors that say which field is wrong."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from .errors import ApiError


async def json_object(request: web.Request) -> dict[str, Any]:
    """The body as a JSON object (the app's `client_max_size` caps its size: 413)."""
    raw = await request.read()
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ApiError("invalid_json", "The request body is not valid JSON") from None
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
