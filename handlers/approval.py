"""What happens after submission, as transactions: each state change, its audit event and the
notifications it causes are written together by the caller's transaction, so a crash can
neither lose nor duplicate a notification (the outbox sender delivers them).

Every function takes the open Repositories and returns whether (or how) it acted; none
sends anything itself.
"""

from __future__ import annotations

import hashlib
import logging

from jinja2 import TemplateNotFound

from bot import notify
from bot.codes import CodeError, generate_code, normalize_code
from bot.context import BotData
from bot.lifecycle import State
from bot.settings import LOCALES, Locale
from storage import Repositories
from storage.applications import ApplicationRecord

log = logging.getLogger(__name__)

AGREEMENT_VERSION = "v1"
# Callback data carries this many hex digits of the agreement text's sha256, so the press
# can be matched to the exact text that was shown (in whichever language it was shown).
HASH_PREFIX = 12


# --- review --------------------------------------------------------------------------------


def own_application(record: ApplicationRecord, actor: int) -> bool:
    """Four eyes: nobody takes, approves, rejects or ships an application they submitted
    (admins included); the applicant is the Telegram user who filled it in."""
    return record.merchant_id == actor


async def refuse_own(
    repos: Repositories, record: ApplicationRecord, actor: int, action: str, chat_id: int | None
) -> None:
    """Log and audit an attempt to act on one's own application (the caller says no)."""
    log.warning(
        "user %s tried to %s their own application %s; refused", actor, action, record.number
    )
    await repos.audit.record(
        "own_application_refused",
        staff_id=actor,
        chat_id=chat_id,
        application_id=record.id,
        detail=action,
    )


async def _take(repos: Repositories, record: ApplicationRecord, actor: int) -> bool:
    ok = await repos.applications.transition(
        record.id, State.SUBMITTED, State.UNDER_REVIEW, actor=actor
    )
    if ok:
        await repos.applications.set_reviewer(record.id, actor)
        record.state, record.reviewer_id = State.UNDER_REVIEW, actor
    return ok


async def take(repos: Repositories, data: BotData, record: ApplicationRecord, actor: int) -> bool:
    """A reviewer takes the application (submitted -> under_review); the merchant is told."""
    if own_application(record, actor):
        return False
    if record.state != State.SUBMITTED or not await _take(repos, record, actor):
        return False
    await notify.to_user(repos, data, record.merchant_id, "review/taken", number=record.number)
    return True


async def approve(
    repos: Repositories, data: BotData, record: ApplicationRecord, actor: int
) -> bool:
    """Approve: merchant number, application code, voucher and agreement, in one transaction.

    Approving straight from the card takes the application first. The conditional UPDATE in
    `transition` is what lets only one of two simultaneous approvals through.
    """
    if own_application(record, actor):
        return False
    if record.state == State.SUBMITTED and not await _take(repos, record, actor):
        return False
    if record.state != State.UNDER_REVIEW:
        return False
    if not await repos.applications.transition(
        record.id, State.UNDER_REVIEW, State.APPROVED, actor=actor
    ):
        return False
    record.state = State.APPROVED
    merchant_no = record.merchant_no or await repos.merchants.next_merchant_no()
    await repos.applications.set_merchant_no(record.id, merchant_no)
    record.merchant_no = merchant_no
    if await repos.merchants.get(merchant_no) is None:
        await repos.merchants.create(
            merchant_no,
            record.answers.get("merchant_name", ""),
            record.merchant_id,
            data.settings.timezone,
            application_id=record.id,
        )
    # The code itself travels only in the voucher, rendered at send time from the encrypted
    # store, so it never sits in plain text in the outbox.
    await _issue_code(repos, record)
    await notify.to_user(
        repos,
        data,
        record.merchant_id,
        "review/approved",
        number=record.number,
        merchant_no=merchant_no,
    )
    await queue_voucher(repos, data, record)
    await queue_agreement(repos, data, record)
    log.info("application %s approved by %s; merchant %s", record.number, actor, merchant_no)
    return True


async def reject(
    repos: Repositories,
    data: BotData,
    record: ApplicationRecord,
    actor: int,
    reasons: dict[str, str],
) -> bool:
    """Reject with a reason per flagged field; the merchant gets the list and a Fix button."""
    if not reasons or own_application(record, actor):
        return False
    if record.state == State.SUBMITTED and not await _take(repos, record, actor):
        return False
    if record.state != State.UNDER_REVIEW:
        return False
    note = "; ".join(f"{field}: {reason}" for field, reason in reasons.items())
    if not await repos.applications.transition(
        record.id, State.UNDER_REVIEW, State.REJECTED, actor=actor, note=note
    ):
        return False
    await repos.applications.flag(record.id, reasons)
    await repos.applications.set_editing(record.id, None)
    locale = await notify.locale_of_user(repos, data, record.merchant_id)
    await notify.to_user(
        repos,
        data,
        record.merchant_id,
        "review/rejected",
        buttons=[[("btn_fix", f"ap:{record.id}:f")]],
        number=record.number,
        flags=[
            {"label": data.renderer.plain_label(locale, f"field_{field}"), "reason": reason}
            for field, reason in reasons.items()
        ],
    )
    log.info("application %s rejected by %s: %s", record.number, actor, ", ".join(reasons))
    return True


# --- code, voucher, agreement --------------------------------------------------------------


async def _issue_code(repos: Repositories, record: ApplicationRecord) -> str:
    code = generate_code()
    await repos.fulfilment.issue_code(record.id, normalize_code(code), code)
    return code


async def queue_voucher(repos: Repositories, data: BotData, record: ApplicationRecord) -> None:
    """The printable QR voucher of the application's current code, for its merchant."""
    locale = await notify.locale_of_user(repos, data, record.merchant_id)
    await repos.outbox.put(
        record.merchant_id, "voucher", {"application_id": record.id, "locale": locale}
    )


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


async def queue_agreement(repos: Repositories, data: BotData, record: ApplicationRecord) -> None:
    """The agreement with its "I agree and sign" button."""
    locale = await notify.locale_of_user(repos, data, record.merchant_id)
    text, buttons = agreement_to_sign(data, locale, record)
    await repos.outbox.put(
        record.merchant_id,
        "text",
        {"text": text, "buttons": notify.button_rows(data, locale, buttons)},
    )


async def sign(
    repos: Repositories,
    data: BotData,
    record: ApplicationRecord,
    user_id: int,
    version: str,
    digest: str,
) -> str:
    """The merchant pressed "I agree and sign": 'ok', 'already' or 'stale'."""
    if record.merchant_id != user_id:
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


# --- shipping, revocation ------------------------------------------------------------------


async def ship(
    repos: Repositories,
    data: BotData,
    record: ApplicationRecord,
    actor: int,
    carrier: str,
    tracking_no: str,
    *,
    chat_id: int | None = None,
) -> str:
    """Mark shipped and tell the merchant the carrier and tracking number.

    Returns 'ok', 'state' (not signed yet, or shipped already) or 'own' (the sender applied
    for it themselves: refused, logged and audited).
    """
    if own_application(record, actor):
        await refuse_own(repos, record, actor, "ship", chat_id)
        return "own"
    if record.state != State.AGREEMENT_SIGNED:
        return "state"
    if not await repos.applications.transition(
        record.id, State.AGREEMENT_SIGNED, State.SHIPPED, actor=actor, note=carrier
    ):
        return "state"
    await repos.fulfilment.record_shipment(record.id, carrier, tracking_no, actor)
    await notify.to_user(
        repos,
        data,
        record.merchant_id,
        "fulfilment/shipped",
        number=record.number,
        carrier=carrier,
        tracking_no=tracking_no,
    )
    return "ok"


async def revoke(
    repos: Repositories, data: BotData, raw_code: str, reason: str, actor: int
) -> tuple[str, str | None]:
    """Revoke a code (it stops working at once) and issue a new one to its merchant.

    Returns (outcome, application number); outcome is 'ok', 'bad' (not a valid code),
    'unknown' or 'already' (revoked before).
    """
    try:
        canonical = normalize_code(raw_code)
    except CodeError:
        return "bad", None
    issued = await repos.fulfilment.find_code(canonical)
    if issued is None:
        return "unknown", None
    record = await repos.applications.get(issued.application_id)
    assert record is not None
    if issued.revoked_at is not None:
        return "already", record.number
    await repos.fulfilment.revoke_code(issued.id, reason)
    await repos.applications.add_event(
        record.id,
        actor=actor,
        from_state=record.state,
        to_state=record.state,
        note=f"code revoked: {reason}",
    )
    reissue = record.state != State.CANCELLED
    if reissue:
        await _issue_code(repos, record)
    await notify.to_user(
        repos,
        data,
        record.merchant_id,
        "fulfilment/revoked",
        number=record.number,
        reason=reason,
        reissued=reissue,
    )
    if reissue:
        await queue_voucher(repos, data, record)
    log.info("code of %s revoked by %s: %s", record.number, actor, reason)
    return "ok", record.number
