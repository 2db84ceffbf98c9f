"""Fulfilment as transactions: shipping, revocation and activation.

Each state change, its audit event and the messages it causes are written together in the
caller's transaction (the outbox sender delivers them), so a crash can neither lose nor
duplicate a notification. Every function takes the open Repositories and returns what
happened; none sends anything itself.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot import notify
from bot.application.lifecycle import State
from bot.fulfilment.codes import CodeError, normalize_code
from bot.fulfilment.handover import issue_code, queue_voucher
from bot.fulfilment.policy import Policy
from bot.review.service import approver_of, own_application, refuse_approver, refuse_own
from storage import Repositories
from storage.db import utcnow

log = logging.getLogger(__name__)

# A POS serial number as printed on the device: letters and digits, 8-24 of them.
_SERIAL = re.compile(r"^[A-Z0-9]{8,24}$")
# Failed attempts older than this are forgotten even without a success in between.
ATTEMPT_MEMORY = timedelta(days=1)


# --- shipping, revocation ------------------------------------------------------------------


async def ship(
    repos: Repositories,
    number: str,
    actor: int,
    carrier: str,
    tracking_no: str,
    serial: str,
    *,
    chat_id: int | None = None,
) -> tuple[str, str | None]:
    """Mark application `number` shipped with the device `serial` (normalised) bound to it,
    and tell the merchant the carrier and tracking number.

    Returns (outcome, the application's state when asked): outcome is 'ok', 'unknown' (no such
    application), 'state' (not signed yet, or shipped already), 'serial_taken' (that device
    was shipped or activated already) or 'own' (the sender applied for it themselves:
    refused, logged and audited).
    """
    record = await repos.applications.by_number(number)
    if record is None:
        return "unknown", None
    state = record.state
    if own_application(record, actor):
        await refuse_own(repos, record, actor, "ship", chat_id)
        return "own", state
    if record.state != State.AGREEMENT_SIGNED:
        return "state", state
    if await repos.fulfilment.serial_in_use(serial):
        return "serial_taken", state
    if not await repos.applications.transition(
        record.id, State.AGREEMENT_SIGNED, State.SHIPPED, actor=actor, note=f"{carrier} {serial}"
    ):
        return "state", state
    await repos.fulfilment.record_shipment(record.id, carrier, tracking_no, actor, serial)
    await notify.to_user(
        repos,
        record.merchant_id,
        "fulfilment/shipped",
        number=record.number,
        carrier=carrier,
        tracking_no=tracking_no,
        serial=serial,
    )
    return "ok", state


async def revoke(
    repos: Repositories,
    raw_code: str,
    reason: str,
    actor: int,
    *,
    admin: bool = False,
    chat_id: int | None = None,
) -> tuple[str, str | None]:
    """Revoke a code (it stops working at once) and issue a new one to its merchant.

    Returns (outcome, application number); outcome is 'ok', 'bad' (not a valid code),
    'unknown', 'already' (revoked before), 'own' (the sender applied for it themselves,
    admins included) or 'approver' (the sender approved it and is not an admin: a second
    person must agree that the code goes). Refusals are logged and audited.
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
    if own_application(record, actor):
        await refuse_own(repos, record, actor, "revoke", chat_id)
        return "own", record.number
    if not admin and await approver_of(repos, record) == actor:
        await refuse_approver(repos, record, actor, "revoke", chat_id)
        return "approver", record.number
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
        await issue_code(repos, record)
    await notify.to_user(
        repos,
        record.merchant_id,
        "fulfilment/revoked",
        number=record.number,
        reason=reason,
        reissued=reissue,
    )
    if reissue:
        await queue_voucher(repos, record)
    log.info("code of %s revoked by %s: %s", record.number, actor, reason)
    return "ok", record.number


# --- activation ----------------------------------------------------------------------------


def normalize_serial(raw: str) -> str | None:
    """'sn 8800-1234 5678' -> 'SN880012345678'; None unless it looks like a serial."""
    compact = re.sub(r"[\s\-_./·]", "", raw).upper()
    return compact if _SERIAL.match(compact) else None


def serial_mismatch(shipped: str | None, typed: str) -> Activation | None:
    """The typed serial is not the device shipped to the merchant: say which one it should
    be (by its last four characters); None when it matches or nothing was recorded."""
    if shipped is None or shipped == typed:
        return None
    return Activation("serial_mismatch", {"serial": typed, "ending": shipped[-4:]})


async def check_serial(repos: Repositories, user_id: int, serial: str) -> Activation | None:
    """Step 1 of /activate: the serial against the device shipped for the merchant's latest
    application; None when it may go on to the code."""
    record = await repos.applications.latest_of(user_id)
    shipment = await repos.fulfilment.shipment(record.id) if record else None
    return serial_mismatch(shipment.terminal_serial if shipment else None, serial)


def lock_state(
    failures: list[datetime], max_failures: int, lock: timedelta
) -> tuple[int, datetime | None]:
    """(failures counted now, when the current lock ends or None), from failed attempts.

    Every `max_failures` failures lock activation for `lock`; the count starts again once a
    lock has run out.
    """
    count, until = 0, None
    for at in failures:
        if until is not None:
            if at < until:
                continue
            count, until = 0, None
        count += 1
        if count >= max_failures:
            until = at + lock
    return count, until


async def _lock(
    repos: Repositories, policy: Policy, user_id: int, now: datetime
) -> tuple[int, datetime | None]:
    failures = await repos.fulfilment.failures_since(user_id, now - ATTEMPT_MEMORY)
    return lock_state(failures, policy.max_failures, policy.lock)


async def lock_end(
    repos: Repositories, policy: Policy, user_id: int, now: datetime
) -> datetime | None:
    """When the user's activation lock ends, or None if they are not locked out."""
    _, until = await _lock(repos, policy, user_id, now)
    return until


@dataclass
class Activation:
    """What an activation attempt came to: `outcome` names the reply template
    (fulfilment/<outcome>), `values` fill it; `state` is the application's, when it matters."""

    outcome: str
    values: dict[str, object] = field(default_factory=dict)
    state: str | None = None


async def activate(
    repos: Repositories,
    policy: Policy,
    user_id: int,
    user_name: str,
    serial: str,
    canonical: str,
) -> Activation:
    """Bind the terminal `serial` to the merchant's application with the code `canonical`.

    A wrong code counts towards the lock; the attempt that locks tells the review chat.
    """
    now = utcnow()
    issued = await repos.fulfilment.find_code(canonical)
    record = await repos.applications.get(issued.application_id) if issued else None
    if (
        issued is None
        or issued.revoked_at is not None
        or record is None
        or record.merchant_id != user_id
    ):
        await repos.fulfilment.record_attempt(user_id, ok=False)
        count, until = await _lock(repos, policy, user_id, now)
        if until is None or until <= now:
            return Activation("wrong_code", {"left": policy.max_failures - count})
        minutes = round(policy.lock_minutes)
        await notify.to_staff_chat(
            repos,
            policy.review_chat_id,
            policy.staff_locale,
            "fulfilment/lock_alert",
            user_id=user_id,
            name=user_name,
            failures=policy.max_failures,
            minutes=minutes,
        )
        return Activation("locked_now", {"minutes": minutes})
    if record.state != State.SHIPPED:
        outcome = "already_active" if record.state == State.ACTIVATED else "not_shipped"
        return Activation(outcome, {"number": record.number}, state=record.state)
    shipment = await repos.fulfilment.shipment(record.id)
    mismatch = serial_mismatch(shipment.terminal_serial if shipment else None, serial)
    if mismatch is not None:
        return mismatch
    if await repos.fulfilment.terminal_owner(serial) is not None:
        return Activation("serial_taken", {"serial": serial})
    await repos.applications.transition(
        record.id, State.SHIPPED, State.ACTIVATED, actor=user_id, note=serial
    )
    await repos.fulfilment.bind_terminal(serial, record.id)
    await repos.fulfilment.record_attempt(user_id, ok=True)
    await repos.fulfilment.end_activation(user_id)
    await notify.to_user(
        repos,
        user_id,
        "fulfilment/activated",
        serial=serial,
        merchant_no=record.merchant_no,
        number=record.number,
    )
    log.info("terminal %s activated by %s", serial, user_id)
    return Activation("ok")
