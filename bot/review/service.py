"""Review as transactions: each state change, its audit event and the notifications it causes
are written together in the caller's transaction, so a crash can neither lose nor duplicate a
notification (the outbox sender delivers them).

Every function takes the open Repositories (and the few settings values it needs) and returns
whether (or how) it acted; none sends anything itself. Messages are queued as a template's name
and plain values, drawn in the merchant's language when they are sent.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum

from bot import notify
from bot.application.lifecycle import State
from bot.fulfilment.handover import hand_over
from bot.review.card import ReviewCard, review_card
from bot.settings import Settings
from storage import Repositories
from storage.applications import ApplicationRecord

log = logging.getLogger(__name__)


# --- four eyes: nobody takes, approves, rejects, ships or revokes the code of an application
# they submitted; a reviewer (not an admin) does not revoke the code of one they approved.


def own_application(record: ApplicationRecord, actor: int) -> bool:
    """True if `actor` submitted the application (admins included): they may not act on it.
    The applicant is the Telegram user who filled it in."""
    return record.merchant_id == actor


async def refuse_own(
    repos: Repositories, record: ApplicationRecord, actor: int, action: str, chat_id: int | None
) -> None:
    """Log and audit an attempt to act on one's own application (the caller says no)."""
    await _refused(repos, record, actor, action, chat_id, "own_application_refused")


async def approver_of(repos: Repositories, record: ApplicationRecord) -> int | None:
    """Who approved the application (the latest approval); None if it never was."""
    events = await repos.applications.events(record.id)
    return next((e.actor for e in reversed(events) if e.to_state == State.APPROVED), None)


async def refuse_approver(
    repos: Repositories, record: ApplicationRecord, actor: int, action: str, chat_id: int | None
) -> None:
    """Log and audit an attempt to undo one's own approval (revoke its code)."""
    await _refused(repos, record, actor, action, chat_id, "own_approval_refused")


async def _refused(
    repos: Repositories,
    record: ApplicationRecord,
    actor: int,
    action: str,
    chat_id: int | None,
    event: str,
) -> None:
    log.warning("user %s: %s %s refused (%s)", actor, action, record.number, event)
    await repos.audit.record(
        event, staff_id=actor, chat_id=chat_id, application_id=record.id, detail=action
    )


# --- the card's buttons ------------------------------------------------------------------


class CardPress(StrEnum):
    """What a press on an application card came to."""

    DONE = "done"  # taken, approved, or a rejection started
    OWN = "own"  # the presser submitted it themselves: refused, logged and audited
    TOO_LATE = "too_late"  # someone else acted first, or the card is out of date
    CANCELLED = "cancelled"  # Approve's confirmation cancelled: nothing changes


@dataclass(frozen=True)
class Pressed:
    """A press on an application card as it came out, and the card's facts as it left them."""

    outcome: CardPress
    card: ReviewCard | None  # None: no such application


async def press_card(
    repos: Repositories,
    app_id: int,
    actor: int,
    action: str,
    chat_id: int | None,
    settings: Settings,
) -> Pressed:
    """Take / Approve / Reject pressed on the card of application `app_id` by `actor`, and
    the card's facts read with the press, so the card drawn is the state the press left."""
    outcome = await _press(repos, app_id, actor, action, chat_id, settings.timezone)
    return Pressed(outcome, await review_card(repos, app_id, settings))


async def _press(
    repos: Repositories, app_id: int, actor: int, action: str, chat_id: int | None, timezone: str
) -> CardPress:
    """The press itself (`timezone`: the business time zone a new merchant number is dated in)."""
    if action == "approve_no":
        return CardPress.CANCELLED  # Approve's confirmation cancelled: nothing to change
    record = await repos.applications.get(app_id)
    if record is None:
        return CardPress.TOO_LATE
    if own_application(record, actor):
        await refuse_own(repos, record, actor, action.removesuffix("_ask"), chat_id)
        return CardPress.OWN
    if action == "approve_ask":
        # Approve asks first: nothing changes until the confirmation is tapped.
        done = record.state in (State.SUBMITTED, State.UNDER_REVIEW)
    elif action == "take":
        done = await _take(repos, record, actor)
    elif action == "approve":
        done = await _approve(repos, record, actor, timezone)
    elif action == "reject":
        done = await _start_rejection(repos, record, actor)
    else:
        done = False
    return CardPress.DONE if done else CardPress.TOO_LATE


async def _take(repos: Repositories, record: ApplicationRecord, actor: int) -> bool:
    """A reviewer takes the application (submitted -> under_review); the merchant is told.
    The caller has checked four eyes (`press_card`)."""
    if not await repos.applications.take(record, actor):
        return False
    await notify.to_user(repos, record.merchant_id, "review/taken", number=record.number)
    return True


async def _approve(
    repos: Repositories, record: ApplicationRecord, actor: int, timezone: str
) -> bool:
    """Approve: merchant number, application code, voucher and agreement, in one transaction.

    Approving straight from the card takes the application first. The conditional UPDATE in
    `applications.approve` is what lets only one of two simultaneous approvals through. The
    caller has checked four eyes (`press_card`).
    """
    if not await repos.applications.approve(record, actor):
        return False
    merchant_no = await repos.merchants.open_for(record, timezone)
    record.merchant_no = merchant_no
    await notify.to_user(
        repos, record.merchant_id, "review/approved", number=record.number, merchant_no=merchant_no
    )
    await hand_over(repos, record)
    log.info("application %s approved by %s; merchant %s", record.number, actor, merchant_no)
    return True


async def _start_rejection(repos: Repositories, record: ApplicationRecord, actor: int) -> bool:
    """Reject pressed: the reviewer picks the fields and a reason for each next."""
    if record.state not in (State.SUBMITTED, State.UNDER_REVIEW):
        return False
    await repos.reviews.start(record.id, actor)
    return True


async def reject(
    repos: Repositories, record: ApplicationRecord, actor: int, reasons: dict[str, str]
) -> bool:
    """Reject with a reason per flagged field; the merchant gets the list and a Fix button.
    The fields are queued by key: the sender names them in the merchant's language."""
    if not reasons or own_application(record, actor):
        return False
    if record.state == State.SUBMITTED and not await repos.applications.take(record, actor):
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
    await notify.to_user(
        repos,
        record.merchant_id,
        "review/rejected",
        buttons=[[("btn_fix", f"ap:{record.id}:f")]],
        number=record.number,
        flags=[{"field": field, "reason": reason} for field, reason in reasons.items()],
    )
    log.info("application %s rejected by %s: %s", record.number, actor, ", ".join(reasons))
    return True


async def confirm_rejection(
    repos: Repositories, app_id: int, actor: int, reasons: dict[str, str]
) -> bool:
    """Confirm pressed: reject with the reasons gathered; the rejection in progress ends."""
    record = await repos.applications.get(app_id)
    done = record is not None and await reject(repos, record, actor, reasons)
    await repos.reviews.drop(app_id)
    return done
