"""Bot API request parameters: read from query/JSON/form/multipart and coerced like Telegram."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aiohttp import BodyPartReader, web

__all__ = ["ApiError", "Params", "UploadedFile", "read_params"]

# Typed fields are normalised on arrival so `calls` and handlers see ints/bools/objects even
# though python-telegram-bot sends every value as a form string.
_INT_FIELDS = frozenset(
    {
        "chat_id",
        "from_chat_id",
        "message_id",
        "reply_to_message_id",
        "message_thread_id",
        "offset",
        "limit",
        "timeout",
        "user_id",
        "cache_time",
        "max_connections",
    }
)
_BOOL_FIELDS = frozenset(
    {
        "show_alert",
        "disable_notification",
        "protect_content",
        "drop_pending_updates",
        "disable_web_page_preview",
        "allow_sending_without_reply",
        "disable_content_type_detection",
        "has_spoiler",
        "show_caption_above_media",
        "allow_paid_broadcast",
    }
)
_JSON_FIELDS = frozenset(
    {
        "reply_markup",
        "entities",
        "caption_entities",
        "media",
        "commands",
        "scope",
        "allowed_updates",
        "reply_parameters",
        "link_preview_options",
        "menu_button",
        "message_ids",
    }
)


class ApiError(Exception):
    """A Bot API error response: HTTP status, Telegram's description, optional retry_after."""

    def __init__(self, status: int, description: str, *, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> dict[str, Any]:
        """The JSON body Telegram sends for this error."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(reason: str) -> ApiError:
    """A 400 error with Telegram's "Bad Request: " prefix."""
    return ApiError(400, f"Bad Request: {reason}")


@dataclass(frozen=True)
class UploadedFile:
    """One multipart file part."""

    field: str
    filename: str | None
    content_type: str | None
    data: bytes

    def describe(self) -> dict[str, Any]:
        """A compact, JSON-friendly stand-in used in the `calls` log."""
        return {"file_name": self.filename, "mime_type": self.content_type, "size": len(self.data)}


def _coerce(name: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if name in _INT_FIELDS:
        try:
            return int(value)
        except ValueError:
            return value  # e.g. "@channelname"; handlers decide
    if name in _BOOL_FIELDS:
        return value.strip().lower() in ("true", "1")
    if name in _JSON_FIELDS and value.strip()[:1] in ("[", "{"):
        try:
            return json.loads(value)
        except ValueError:
            return value  # handlers report Telegram's "can't parse ..." error
    return value


class Params:
    """Typed access to the parameters of one Bot API call."""

    def __init__(self, values: dict[str, Any], files: dict[str, UploadedFile]) -> None:
        self.values = {name: _coerce(name, value) for name, value in values.items()}
        self.files = files

    def logged(self) -> dict[str, Any]:
        """Parameters as recorded in `BotApiServer.calls` (files replaced by a summary)."""
        logged = dict(self.values)
        for name, upload in self.files.items():
            logged[name] = upload.describe()
        return logged

    def __contains__(self, name: str) -> bool:
        return name in self.values or name in self.files

    def get(self, name: str, default: Any = None) -> Any:
        """The raw (coerced) value."""
        return self.values.get(name, default)

    def get_str(self, name: str) -> str | None:
        """A string value, None when absent."""
        value = self.values.get(name)
        if value is None:
            return None
        return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)

    def get_int(self, name: str, *, default: int | None = None) -> int | None:
        """An integer value; non-numeric input is a 400 like Telegram's."""
        value = self.values.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise bad_request(f'field "{name}" must be of type Integer')
        return int(value)

    def get_float(self, name: str, *, default: float = 0.0) -> float:
        """A numeric value (getUpdates' timeout may be fractional)."""
        value = self.values.get(name)
        if value is None or value == "":
            return default
        try:
            return float(value)
        except (TypeError, ValueError):
            raise bad_request(f'field "{name}" must be of type Number') from None

    def get_bool(self, name: str) -> bool:
        """A boolean value, False when absent."""
        return bool(self.values.get(name, False))

    def get_json(self, name: str, what: str) -> Any:
        """A JSON object/array value; unparsable input is Telegram's "can't parse" error."""
        value = self.values.get(name)
        if isinstance(value, str):
            if not value.strip():
                return None
            raise bad_request(f"can't parse {what} JSON object")
        return value

    def chat_id(self, name: str = "chat_id") -> int:
        """The target chat id; Telegram answers "chat not found" for anything unusable."""
        value = self.values.get(name)
        if value is None or value == "":
            raise bad_request(f"{name} is empty")
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad_request("chat not found")
        return value

    def message_id(self, name: str = "message_id") -> int:
        """A required message id."""
        value = self.get_int(name)
        if value is None:
            raise bad_request(f"{name} is empty")
        return value


async def read_params(request: web.Request) -> Params:
    """Collect parameters from the query string and the body (JSON, urlencoded or multipart)."""
    values: dict[str, Any] = dict(request.query)
    files: dict[str, UploadedFile] = {}
    if request.can_read_body:
        content_type = request.content_type
        if content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise bad_request("can't parse JSON request body") from None
            if not isinstance(body, dict):
                raise bad_request("can't parse JSON request body")
            values.update(body)
        elif content_type == "multipart/form-data":
            reader = await request.multipart()
            async for part in reader:
                if not isinstance(part, BodyPartReader) or part.name is None:
                    continue
                if part.filename is not None:
                    data = bytes(await part.read())
                    files[part.name] = UploadedFile(
                        part.name, part.filename, part.headers.get("Content-Type"), data
                    )
                else:
                    values[part.name] = await part.text()
        else:
            form = await request.post()
            values.update({k: v for k, v in form.items() if isinstance(v, str)})
    return Params(values, files)
