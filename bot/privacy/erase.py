"""Erasure (/deletemydata): what blocks it, what is deleted and what a contract keeps."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.privacy.rules import CONTRACT_FIELDS, IN_FLIGHT

if TYPE_CHECKING:
    from storage import Repositories

# ---------------------------------------------------------------------------- erasure


@dataclass
class ErasureBlocked:
    """An application is in staff's hands: withdraw it (or wait) first."""

    number: str | None
    state: str


@dataclass
class Erasure:
    """What was deleted (counts per category), what is kept (category keys), and the files
    to delete once the transaction is committed."""

    deleted: dict[str, int]
    kept: list[str]
    blobs: list[str]


async def blocking_application(repos: Repositories, user_id: int) -> ErasureBlocked | None:
    """The application that stops an erasure now, if any."""
    for app_id in await repos.privacy.application_ids(user_id):
        record = await repos.applications.get(app_id)
        if record is not None and record.state in IN_FLIGHT:
            return ErasureBlocked(record.number, record.state)
    return None


async def has_contract(repos: Repositories, user_id: int) -> bool:
    """True if any of the person's applications has a signed agreement."""
    for app_id in await repos.privacy.application_ids(user_id):
        if await repos.privacy.rows("agreement_signatures", "application_id", app_id):
            return True
    return False


async def erase(repos: Repositories, user_id: int) -> Erasure | ErasureBlocked:
    """Erase or anonymise everything not needed by a signed contract or the transaction
    records, and audit it (categories and counts only)."""
    blocked = await blocking_application(repos, user_id)
    if blocked is not None:
        return blocked
    p, e = repos.privacy, repos.erasure
    deleted = {"applications": 0, "answers": 0, "documents": 0, "codes": 0}
    blobs: list[str] = []
    contracts: list[int] = []
    for app_id in await p.application_ids(user_id):
        record = await repos.applications.get(app_id)
        assert record is not None
        deleted["documents"] += len(record.documents)
        if await p.rows("agreement_signatures", "application_id", app_id):
            contracts.append(app_id)
            reduced = await e.reduce_to_contract(app_id, CONTRACT_FIELDS)
            deleted["answers"] += reduced["answers"]
            deleted["codes"] += reduced["codes"]
            blobs += reduced["blobs"]
        else:
            deleted["applications"] += 1
            deleted["answers"] += len(record.answers) - len(record.documents)
            deleted["codes"] += len(await p.codes(app_id))
            blobs += await e.delete_application(app_id)
    deleted["ticket_messages"] = await e.blank_tickets(user_id)
    deleted["faq_questions"] = await e.blank_faq_questions(user_id)
    deleted["merchant_records"] = await e.drop_unused_merchants(user_id, contracts)
    deleted["notifications"] = await e.drop_delivered_messages(user_id)
    await e.drop_activation_attempts(user_id)
    await repos.sessions.delete(user_id)  # the conversation state (typed serial, ticket focus)
    await e.anonymise_user(user_id)
    withdrawn = await p.withdraw_consents(user_id)
    kept = ["account"]
    if contracts:
        kept.append("contract")
    for m in await p.rows("merchants", "telegram_id", user_id):
        if (await p.transaction_summary(m["merchant_no"]))["count"]:
            kept.append("transactions")
            break
    if await p.ticket_ids(user_id):
        kept.append("tickets")
    if withdrawn or await p.consents(user_id):
        kept.append("consents")
    orphans = sorted({sha for sha in blobs if not await e.blob_in_use(sha)})
    await p.add_event(user_id, "erase", {"deleted": deleted, "kept": kept})
    return Erasure(deleted=deleted, kept=kept, blobs=orphans)
