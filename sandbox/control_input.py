"""Strict readers for the control API's query strings and JSON bodies.

A value the sandbox cannot use (``?after=abc``, ``"user_id": 1e400``, a body that is not a
JSON object) is a ControlInputError naming the field, which the control API answers with a
JSON 400 rather than a 500 page or a silently wrong user.
"""

from __future__ import annotations

import json
import re
from typing import Any

from aiohttp import web

__all__ = ["ControlInputError", "integer", "json_object", "optional_integer", "text"]

# ASCII digits only (not "²" or "١"), and within 64 bits like every Telegram id.
_INTEGER = re.compile(r"-?[0-9]{1,18}")
_LIMIT = 10**18


class ControlInputError(ValueError):
    """A query or body value the control API cannot use; its message names the field."""


def integer(value: Any, name: str) -> int:
    """An integer given as a JSON number or a decimal string."""
    if isinstance(value, int) and not isinstance(value, bool) and -_LIMIT < value < _LIMIT:
        return value
    if isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
        return int(value)
    raise ControlInputError(f"{name} must be an integer")


def optional_integer(value: Any, name: str) -> int | None:
    """Like ``integer``, but absent (missing, null or "") is None."""
    return None if value in (None, "") else integer(value, name)


def text(value: Any, name: str, default: str | None = None) -> str | None:
    """A string, or ``default`` when absent."""
    if value is None:
        return default
    if not isinstance(value, str):
        raise ControlInputError(f"{name} must be a string")
    return value


async def json_object(request: web.Request) -> dict[str, Any]:
    """The request body, which must be a JSON object."""
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ControlInputError("the body must be JSON") from None
    if not isinstance(body, dict):
        raise ControlInputError("the body must be a JSON object")
    return body
