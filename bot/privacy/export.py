"""What the bot holds about a person (/privacy) and the export of it (/mydata), as data."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.privacy.rules import POLICY_VERSION, mask_code
from storage.db import utcnow

if TYPE_CHECKING:
    from storage import Repositories
    from storage.applications import ApplicationRecord
    from storage.privacy import Consent

_EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "application/pdf": ".pdf"}

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


# Telegram's bots may send files of at most 50 MB; a merchant with many large documents gets
# several ZIPs of at most this size each (a single document is at most MAX_DOCUMENT_MB).
MAX_ZIP_BYTES = 45 * 1024 * 1024
# Per document: its local header and central directory entry, each with its name.
_ENTRY_OVERHEAD = 30 + 46


def build_zips(
    data: dict[str, Any], files: dict[str, bytes], limit: int | None = None
) -> list[bytes]:
    """data.json plus the documents, as ZIPs of at most `limit` bytes each (data.json in the
    first); a document bigger than the limit on its own gets a ZIP of its own.

    Documents (photos, PDFs) are compressed already: they are stored as they are, which also
    makes each ZIP's size known before it is written.
    """
    limit = MAX_ZIP_BYTES if limit is None else limit
    parts: list[bytes] = []
    buffer = io.BytesIO()
    archive = zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED)
    archive.writestr(
        "data.json", json.dumps(data, ensure_ascii=False, indent=2, default=_json_default)
    )
    directory = 22 + 46 + len("data.json")  # end record and the entries written so far
    for name, content in files.items():
        entry = _ENTRY_OVERHEAD + 2 * len(name.encode()) + len(content)
        if archive.namelist() and buffer.tell() + directory + entry > limit:
            archive.close()
            parts.append(buffer.getvalue())
            buffer = io.BytesIO()
            archive = zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED)
            directory = 22
        archive.writestr(name, content, compress_type=zipfile.ZIP_STORED)
        directory += 46 + len(name.encode())
    archive.close()
    parts.append(buffer.getvalue())
    return parts


def _json_default(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
