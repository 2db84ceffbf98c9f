"""Consent and data rights (PIPL): the notice's version, what we hold, export and erasure.

No Telegram types here: handlers/privacy.py renders and sends; these functions take the
repositories of one transaction and return plain results.

Decisions, in the merchant's interest and the operator's legal duties:
- Consent is asked once per POLICY_VERSION; the record keeps the version, the sha256 of the
  exact text shown (it contains the retention settings) and the UTC time.
- The export holds the merchant's own data in full (answers decrypted, documents), except the
  application code, which is masked: it is a bearer credential for activating the POS, /code
  shows it in the chat whenever needed, and an export file is meant to be kept and moved
  around. Staff are named by role, not by their Telegram id, and internal staff notes on
  tickets are left out (they are staff's assessments, not the merchant's data).
- Erasure deletes everything except what a signed contract and the transaction records need
  (CONTRACT_FIELDS of a signed application, its state history, agreement signature, shipment
  and terminal; merchant numbers with transactions). Consent records stay, marked withdrawn,
  as proof of what was agreed. An application between submission and activation blocks
  erasure: the merchant withdraws it with /cancel first (or waits for activation), so a
  review or a shipment is never pulled out from under staff without the merchant saying so.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.application.lifecycle import State
from bot.settings import Settings
from storage.db import utcnow

if TYPE_CHECKING:
    from storage import Repositories
    from storage.applications import ApplicationRecord
    from storage.privacy import Consent

# Bump when the notice says something new: merchants are asked again.
POLICY_VERSION = "2026.1"

# Between submission and activation an application is in someone's hands: no erasure.
IN_FLIGHT: frozenset[str] = frozenset(
    {
        State.SUBMITTED,
        State.UNDER_REVIEW,
        State.APPROVED,
        State.AGREEMENT_SIGNED,
        State.SHIPPED,
    }
)
# What identifies the party of a signed contract; public registry data, not a person's.
CONTRACT_FIELDS: tuple[str, ...] = ("subject_type", "merchant_name", "credit_code", "category")

_EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "application/pdf": ".pdf"}


def retention(settings: Settings) -> dict[str, Any]:
    """The retention periods, as the notice shows them."""

    def whole(value: float) -> float | int:
        return int(value) if float(value).is_integer() else value

    return {
        "documents_days": whole(settings.purge_after_days),
        "tickets_days": whole(settings.retention_tickets_days),
        "contract_years": settings.retention_contract_years,
        "transactions_years": settings.retention_transactions_years,
    }


def notice_hash(text: str) -> str:
    """The sha256 of a rendered notice: what exactly was agreed to."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def mask_code(code: str) -> str:
    """ALP-7K3MQ-9XD2W-HFA4 -> ALP-*****-*****-**A4."""
    head, _, rest = code.partition("-")
    masked = "".join("*" if c.isalnum() else c for c in rest[:-2]) + rest[-2:]
    return f"{head}-{masked}" if rest else "*" * len(code)


# ---------------------------------------------------------------------------- /privacy


@dataclass
class Holdings:
    """What /privacy shows: the latest application and counts."""

    application: ApplicationRecord | None
    applications: int
    documents: int
    tickets: int
    consent: Consent | None


async def holdings(repos: Repositories, user_id: int) -> Holdings:
    """What the bot holds about the person, for the masked overview."""
    ids = await repos.privacy.application_ids(user_id)
    documents = 0
    for app_id in ids:
        documents += len(
            await repos.privacy.rows("application_documents", "application_id", app_id)
        )
    latest = await repos.applications.get(ids[-1]) if ids else None
    return Holdings(
        application=latest,
        applications=len(ids),
        documents=documents,
        tickets=len(await repos.privacy.ticket_ids(user_id)),
        consent=await repos.privacy.consent(user_id, POLICY_VERSION),
    )


# ---------------------------------------------------------------------------- /mydata


@dataclass
class Export:
    """data.json's content and the documents to put beside it (zip name -> sha256)."""

    data: dict[str, Any]
    files: dict[str, str] = field(default_factory=dict)


def _who(actor: int | None, user_id: int) -> str:
    if actor is None:
        return "system"
    return "you" if actor == user_id else "staff"


async def collect_export(repos: Repositories, user_id: int) -> Export:
    """Everything the bot holds about the person, decrypted (it is their own data)."""
    p = repos.privacy
    export = Export(data={})
    applications = []
    for app_id in await p.application_ids(user_id):
        record = await repos.applications.get(app_id)
        assert record is not None
        folder = record.number or f"draft-{record.id}"
        answers = {k: v for k, v in record.answers.items() if k not in record.documents}
        documents = []
        for slot, doc in record.documents.items():
            name = f"documents/{folder}/{slot}{_EXTENSIONS.get(doc.mime_type, '')}"
            export.files[name] = doc.sha256
            documents.append(
                {"slot": slot, "mime_type": doc.mime_type, "size": doc.size, "file": name}
            )
        events = [
            {
                "by": _who(e.actor, user_id),
                "from": e.from_state,
                "to": e.to_state,
                "note": e.note,
                "at": e.at.isoformat(),
            }
            for e in await repos.applications.events(app_id)
        ]
        codes = [{**c, "code": mask_code(c["code"])} for c in await p.codes(app_id)]
        signature = await p.rows("agreement_signatures", "application_id", app_id)
        applications.append(
            {
                "number": record.number,
                "state": record.state,
                "merchant_no": record.merchant_no,
                "created_at": record.created_at.isoformat(),
                "submitted_at": record.submitted_at.isoformat() if record.submitted_at else None,
                "answers": answers,
                "documents": documents,
                "rejection_reasons": record.flags,
                "events": events,
                "application_codes": codes,
                "agreement_signature": _strip(signature[0], "merchant_id") if signature else None,
                "shipments": [
                    _strip(r, "shipped_by")
                    for r in await p.rows("shipments", "application_id", app_id)
                ],
                "terminals": await p.rows("terminals", "application_id", app_id),
            }
        )
    tickets = []
    for ticket_id in await p.ticket_ids(user_id):
        (ticket,) = await p.rows("tickets", "id", ticket_id)
        messages = [
            {
                "from": "you" if m["direction"] == "merchant" else "staff",
                "kind": m["kind"],
                "text": m["body"],
                "file_name": m["file_name"],
                "at": m["created_at"],
            }
            for m in await p.rows("ticket_messages", "ticket_id", ticket_id)
            if m["direction"] != "note"  # internal staff notes: see the module docstring
        ]
        tickets.append(
            {
                **_strip(ticket, "assignee_id", "staff_chat_id", "sla_round", "comment_wanted"),
                "messages": messages,
            }
        )
    merchants = []
    for m in await p.rows("merchants", "telegram_id", user_id):
        merchants.append(
            {
                **_strip(m, "telegram_id"),
                "transactions": await p.transaction_summary(m["merchant_no"]),
            }
        )
    export.data = {
        "about": {
            "exported_at": utcnow().isoformat(),
            "telegram_id": user_id,
            "policy_version": POLICY_VERSION,
            "application_codes": "masked: the code activates your POS machine; /code shows it",
            "staff": "named by role ('staff'), not by their Telegram id",
            "amounts": "integer fen (1 yuan = 100 fen)",
            "times": "UTC, ISO 8601",
        },
        "profile": await p.user_row(user_id),
        "consents": [c.model_dump(mode="json") for c in await p.consents(user_id)],
        "applications": applications,
        "tickets": tickets,
        "faq_questions": [
            _strip(q, "telegram_id", "reason", "score")
            for q in await p.rows("faq_questions", "telegram_id", user_id)
        ],
        "merchants": merchants,
        "privacy_requests": await p.events(user_id),
    }
    return export


def _strip(row: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in keys}


def build_zip(data: dict[str, Any], files: dict[str, bytes]) -> bytes:
    """data.json plus the documents, as one ZIP file."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "data.json", json.dumps(data, ensure_ascii=False, indent=2, default=_json_default)
        )
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _json_default(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


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
    p = repos.privacy
    deleted = {"applications": 0, "answers": 0, "documents": 0, "codes": 0}
    blobs: list[str] = []
    contracts: list[int] = []
    for app_id in await p.application_ids(user_id):
        record = await repos.applications.get(app_id)
        assert record is not None
        deleted["documents"] += len(record.documents)
        if await p.rows("agreement_signatures", "application_id", app_id):
            contracts.append(app_id)
            reduced = await p.reduce_to_contract(app_id, CONTRACT_FIELDS)
            deleted["answers"] += reduced["answers"]
            deleted["codes"] += reduced["codes"]
            blobs += reduced["blobs"]
        else:
            deleted["applications"] += 1
            deleted["answers"] += len(record.answers) - len(record.documents)
            deleted["codes"] += len(await p.codes(app_id))
            blobs += await p.delete_application(app_id)
    deleted["ticket_messages"] = await p.blank_tickets(user_id)
    deleted["faq_questions"] = await p.blank_faq_questions(user_id)
    deleted["merchant_records"] = await p.drop_unused_merchants(user_id, contracts)
    deleted["notifications"] = await p.drop_delivered_messages(user_id)
    await p.drop_activation_attempts(user_id)
    await p.anonymise_user(user_id)
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
    orphans = sorted({sha for sha in blobs if not await p.blob_in_use(sha)})
    await p.add_event(user_id, "erase", {"deleted": deleted, "kept": kept})
    return Erasure(deleted=deleted, kept=kept, blobs=orphans)
