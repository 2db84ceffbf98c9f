"""Queue notifications in the outbox: a template's name, its values and its buttons' label
keys, rendered in the recipient's language when the message is sent."""

from __future__ import annotations

import html

from bot.data import BotData
from bot.settings import Locale
from storage import Repositories

# A text rendered when it was queued, and its buttons: {"text", "buttons"}.
TEXT = "text"
# A template rendered when it is sent, in the payload's "locale" or else the recipient's:
# {"template", "values", "buttons" (rows of [label key, callback data]), "labels"?} where
# "labels" names the block template the button labels come from (default: the plain labels).
TEMPLATE = "template"

Buttons = list[list[tuple[str, str]]]  # rows of (label key, callback data)


def locale_for(language_code: str | None, default: Locale = "zh-CN") -> Locale:
    """Pick a supported locale from Telegram's language_code (zh* -> zh-CN, en* -> en)."""
    code = (language_code or "").lower()
    if code.startswith("zh"):
        return "zh-CN"
    if code.startswith("en"):
        return "en"
    return default


async def locale_of_user(repos: Repositories, user_id: int, default: Locale) -> Locale:
    """The user's chosen language, else their Telegram language, else `default`."""
    user = await repos.users.get(user_id)
    if user is None:
        return default
    return user.locale or locale_for(user.language_code, default)


def button_rows(data: BotData, locale: Locale, buttons: Buttons | None) -> list[list[dict]]:
    """Buttons as stored in an outbox payload, labels rendered in `locale`."""
    return [
        [{"text": data.renderer.plain_label(locale, key), "data": cb} for key, cb in row]
        for row in buttons or []
    ]


def template(
    name: str,
    /,
    *,
    buttons: Buttons | None = None,
    labels: str | None = None,
    locale: Locale | None = None,
    **values: object,
) -> dict:
    """A TEMPLATE payload: what to render when sending (values must be JSON's plain values)."""
    payload: dict[str, object] = {"template": name, "values": values, "buttons": buttons or []}
    if labels is not None:
        payload["labels"] = labels
    if locale is not None:
        payload["locale"] = locale
    return payload


def render_template(data: BotData, locale: Locale, payload: dict) -> tuple[str, list[list[dict]]]:
    """A TEMPLATE payload as sent: the text and its buttons, in `locale`."""
    text = data.renderer.render(locale, payload["template"], **payload["values"])
    labels = payload.get("labels")

    def label(key: str) -> str:
        if labels is None:
            return data.renderer.plain_label(locale, key)
        return html.unescape(data.renderer.block(locale, labels, key))

    rows = [[{"text": label(key), "data": cb} for key, cb in row] for row in payload["buttons"]]
    return text, rows


async def to_user(
    repos: Repositories,
    user_id: int,
    name: str,
    /,
    *,
    buttons: Buttons | None = None,
    dedupe: str | None = None,
    **values: object,
) -> None:
    """Queue template `name` for a user, rendered in their language when it is sent."""
    await repos.outbox.put(
        user_id, TEMPLATE, template(name, buttons=buttons, **values), dedupe_key=dedupe
    )


def text_payload(
    data: BotData,
    locale: Locale,
    name: str,
    /,
    *,
    buttons: Buttons | None = None,
    **values: object,
) -> dict:
    """A TEXT message as the outbox keeps it: the template rendered in `locale`, its buttons."""
    text = data.renderer.render(locale, name, **values)
    return {"text": text, "buttons": button_rows(data, locale, buttons)}


async def to_staff_chat(
    repos: Repositories,
    chat_id: int | None,
    locale: Locale,
    name: str,
    /,
    *,
    dedupe: str | None = None,
    **values: object,
) -> None:
    """Queue template `name` for a staff group, drawn in `locale` (the deployment's default
    language) when it is sent; nothing is queued without a chat."""
    if chat_id is None:
        return
    await repos.outbox.put(
        chat_id, TEMPLATE, template(name, locale=locale, **values), dedupe_key=dedupe
    )
