"""The service agreement: the exact text shown, its hash, and the merchant's signature.

The "I agree and sign" button names the text it was shown under (by hash), so signing records
exactly what the merchant saw, in whichever language it was shown.
"""

from __future__ import annotations

import hashlib

from jinja2 import TemplateNotFound

from bot import notify
from bot.application.lifecycle import State
from bot.data import BotData
from bot.settings import LOCALES, Locale
from storage import Repositories
from storage.applications import ApplicationRecord

AGREEMENT_VERSION = "v1"
# Callback data carries this many hex digits of the agreement text's sha256, so the press
# can be matched to the exact text that was shown (in whichever language it was shown).
HASH_PREFIX = 12


def agreement_text(data: BotData, locale: Locale, record: ApplicationRecord, version: str) -> str:
    """The service agreement exactly as shown to the merchant (HTML)."""
    return data.renderer.render(
        locale,
        f"agreement/{version}",
        merchant_name=record.answers.get("merchant_name", ""),
        merchant_no=record.merchant_no or "",
        number=record.number or "",
    )


def text_hash(text: str) -> str:
    """sha256 of the exact text, hex."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def agreement_to_sign(
    data: BotData, locale: Locale, record: ApplicationRecord
) -> tuple[str, notify.Buttons]:
    """The current agreement's text and its "I agree and sign" button, whose data names the
    exact text shown (by hash), so signing records what the merchant saw."""
    text = agreement_text(data, locale, record, AGREEMENT_VERSION)
    digest = text_hash(text)[:HASH_PREFIX]
    return text, [[("btn_sign", f"ag:{record.id}:{AGREEMENT_VERSION}:{digest}")]]


async def sign(
    repos: Repositories,
    data: BotData,
    application_id: int,
    user_id: int,
    version: str,
    digest: str,
) -> str:
    """The merchant pressed "I agree and sign": 'ok', 'already' or 'stale'."""
    record = await repos.applications.get(application_id)
    if record is None or record.merchant_id != user_id:
        return "stale"
    if record.state != State.APPROVED:
        return "already" if await repos.fulfilment.signature(record.id) else "stale"
    for locale in LOCALES:
        try:
            full = text_hash(agreement_text(data, locale, record, version))
        except TemplateNotFound:  # an unknown version in forged callback data
            return "stale"
        if full.startswith(digest) and len(digest) == HASH_PREFIX:
            break
    else:
        return "stale"  # the text shown is not the one we would show now
    if not await repos.applications.transition(
        record.id, State.APPROVED, State.AGREEMENT_SIGNED, actor=user_id, note=version
    ):
        return "already"
    await repos.fulfilment.record_signature(record.id, user_id, version, locale, full)
    await notify.to_user(repos, data, user_id, "fulfilment/signed", number=record.number)
    await notify.to_staff_chat(
        repos,
        data,
        data.settings.review_chat_id,
        "fulfilment/ready_to_ship",
        number=record.number,
        merchant_name=record.answers.get("merchant_name", ""),
    )
    return "ok"
