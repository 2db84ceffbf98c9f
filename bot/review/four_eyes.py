"""Four eyes: nobody takes, approves, rejects or ships an application they submitted."""

from __future__ import annotations

import logging

from storage import Repositories
from storage.applications import ApplicationRecord

log = logging.getLogger(__name__)


def own_application(record: ApplicationRecord, actor: int) -> bool:
    """True if `actor` submitted the application (admins included): they may not act on it.
    The applicant is the Telegram user who filled it in."""
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
