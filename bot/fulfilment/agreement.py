"""The service agreement: the exact text shown, its hash, and the merchant's signature.

The "I agree and sign" button names the text it was shown under (by hash), so signing records
exactly what the merchant saw, in whichever language it was shown. Signing takes two taps:
the first asks to confirm the rates (or says support confirms them), the second signs, and
the signature keeps the rates with the text's hash.

The agreement's text is domain data (its hash is what is signed), so the functions that draw
or check it take the Renderer explicitly; the rest take the open Repositories and
fulfilment's Policy (its settings, read once).
"""

from __future__ import annotations

import hashlib

from jinja2 import TemplateNotFound

from bot import fees, notify
from bot.application.lifecycle import State
from bot.fulfilment.policy import Policy
from bot.i18n import Renderer
from bot.settings import LOCALES, Locale
from storage import Repositories
from storage.applications import ApplicationRecord

AGREEMENT_VERSION = "v2"  # v1 (no rates) stays for texts signed under it
# Callback data carries this many hex digits of the agreement text's sha256, so the press
# can be matched to the exact text that was shown (in whichever language it was shown).
HASH_PREFIX = 12


def agreement_text(
    renderer: Renderer,
    locale: Locale,
    record: ApplicationRecord,
    version: str,
    schedule: fees.FeeSchedule | None = None,
) -> str:
    """The service agreement exactly as shown to the merchant (HTML), with these rates."""
    return renderer.render(
        locale,
        f"agreement/{version}",
        merchant_name=record.answers.get("merchant_name", ""),
        merchant_no=record.merchant_no or "",
        number=record.number or "",
        fees=fees.fee_texts(schedule, locale),
    )


def signed_text(renderer: Renderer, record: ApplicationRecord, signed: dict) -> str:
    """The text as it was signed: its version, language and the rates kept with it."""
    return agreement_text(
        renderer, signed["locale"], record, signed["version"], fees.from_columns(signed)
    )


def text_hash(text: str) -> str:
    """sha256 of the exact text, hex."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def agreement_to_sign(
    renderer: Renderer, policy: Policy, locale: Locale, record: ApplicationRecord
) -> tuple[str, notify.Buttons]:
    """The current agreement's text and its "I agree and sign" button, whose data names the
    exact text shown (by hash), so signing records what the merchant saw."""
    text = agreement_text(renderer, locale, record, AGREEMENT_VERSION, policy.schedule)
    digest = text_hash(text)[:HASH_PREFIX]
    return text, [[("btn_sign", f"ag:{record.id}:{AGREEMENT_VERSION}:{digest}")]]


async def _matching(
    repos: Repositories,
    renderer: Renderer,
    policy: Policy,
    application_id: int,
    user_id: int,
    version: str,
    digest: str,
) -> tuple[str, ApplicationRecord | None, Locale, str]:
    """Check a press against the text we would show now: (outcome, record, locale, full hash).

    Only the current version can be signed: a button under an older text is stale, since
    that text did not state the rates.
    """
    record = await repos.applications.get(application_id)
    if record is None or record.merchant_id != user_id:
        return "stale", None, "zh-CN", ""
    if record.state != State.APPROVED:
        outcome = "already" if await repos.fulfilment.signature(record.id) else "stale"
        return outcome, record, "zh-CN", ""
    if version != AGREEMENT_VERSION or len(digest) != HASH_PREFIX:
        return "stale", record, "zh-CN", ""
    for locale in LOCALES:
        try:
            full = text_hash(agreement_text(renderer, locale, record, version, policy.schedule))
        except TemplateNotFound:  # an unknown version in forged callback data
            return "stale", record, "zh-CN", ""
        if full.startswith(digest):
            return "ok", record, locale, full
    return "stale", record, "zh-CN", ""  # the text shown is not the one we would show now


async def check_sign(
    repos: Repositories,
    renderer: Renderer,
    policy: Policy,
    application_id: int,
    user_id: int,
    version: str,
    digest: str,
) -> str:
    """The first tap on "I agree and sign": 'ok' (ask to confirm), 'already' or 'stale'."""
    outcome, *_ = await _matching(repos, renderer, policy, application_id, user_id, version, digest)
    return outcome


async def sign(
    repos: Repositories,
    renderer: Renderer,
    policy: Policy,
    application_id: int,
    user_id: int,
    version: str,
    digest: str,
) -> str:
    """The merchant confirmed the rates and signs: 'ok', 'already' or 'stale'."""
    outcome, record, locale, full = await _matching(
        repos, renderer, policy, application_id, user_id, version, digest
    )
    if outcome != "ok" or record is None:
        return outcome
    if not await repos.applications.transition(
        record.id, State.APPROVED, State.AGREEMENT_SIGNED, actor=user_id, note=version
    ):
        return "already"
    schedule = policy.schedule
    await repos.fulfilment.record_signature(
        record.id,
        user_id,
        version,
        locale,
        full,
        schedule.columns() if schedule else dict.fromkeys(fees.COLUMNS),
    )
    await notify.to_user(repos, user_id, "fulfilment/signed", number=record.number)
    await notify.to_staff_chat(
        repos,
        policy.review_chat_id,
        policy.staff_locale,
        "fulfilment/ready_to_ship",
        number=record.number,
        merchant_name=record.answers.get("merchant_name", ""),
    )
    return "ok"
