"""Queue notifications in the outbox, rendered in the recipient's language."""

from __future__ import annotations

from bot.data import BotData
from bot.i18n import locale_for
from bot.settings import Locale
from storage import Repositories

# The one shared outbox kind: a rendered text and its buttons, {"text", "buttons"}.
TEXT = "text"

Buttons = list[list[tuple[str, str]]]  # rows of (label key, callback data)


async def locale_of_user(repos: Repositories, data: BotData, user_id: int) -> Locale:
    """The user's chosen language, else their Telegram language, else the default."""
    user = await repos.users.get(user_id)
    if user is None:
        return data.settings.default_locale
    return user.locale or locale_for(user.language_code, data.settings.default_locale)


def button_rows(data: BotData, locale: Locale, buttons: Buttons | None) -> list[list[dict]]:
    """Buttons as stored in an outbox payload, labels rendered in `locale`."""
    return [
        [{"text": data.renderer.plain_label(locale, key), "data": cb} for key, cb in row]
        for row in buttons or []
    ]


async def to_user(
    repos: Repositories,
    data: BotData,
    user_id: int,
    template: str,
    *,
    buttons: Buttons | None = None,
    dedupe: str | None = None,
    **values: object,
) -> None:
    """Queue template `template` for a user, in their language, in the caller's transaction."""
    locale = await locale_of_user(repos, data, user_id)
    payload = text_payload(data, locale, template, buttons=buttons, **values)
    await repos.outbox.put(user_id, TEXT, payload, dedupe_key=dedupe)


def text_payload(
    data: BotData,
    locale: Locale,
    template: str,
    *,
    buttons: Buttons | None = None,
    **values: object,
) -> dict:
    """A TEXT message as the outbox keeps it: the template rendered in `locale`, its buttons."""
    text = data.renderer.render(locale, template, **values)
    return {"text": text, "buttons": button_rows(data, locale, buttons)}


async def to_staff_chat(
    repos: Repositories,
    data: BotData,
    chat_id: int | None,
    template: str,
    *,
    dedupe: str | None = None,
    **values: object,
) -> None:
    """Queue a message for a staff group, in the deployment's default language."""
    if chat_id is None:
        return
    text = data.renderer.render(data.settings.default_locale, template, **values)
    await repos.outbox.put(chat_id, TEXT, {"text": text, "buttons": []}, dedupe_key=dedupe)
