"""ApplicationRepository (over 300 lines: one aggregate, its encrypted answers read in one place):
drafts, answers, documents, numbers, approval and the audit trail."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from bot.application.form import QUESTIONS
from bot.application.lifecycle import State, check
from bot.crypto import FieldCipher
from bot.masking import mask_text
from storage.db import Tx, utcnow

FIELD_ORDER = tuple(q.key for q in QUESTIONS)


_ANSWERS_AND_DOCUMENTS = (
    "SELECT field AS name, value, encrypted, NULL AS sha256, NULL AS mime_type, NULL AS size,"
    " NULL AS file_id, NULL AS file_unique_id FROM application_answers WHERE application_id = ?"
    " UNION ALL SELECT slot, NULL, NULL, sha256, mime_type, size, file_id, file_unique_id"
    " FROM application_documents WHERE application_id = ?"
)


class DocumentRecord(BaseModel):
    """One uploaded document's metadata."""

    slot: str
    sha256: str
    mime_type: str
    size: int
    # Telegram's copy, re-sent to the review chat; "" for an image the merchant sent as a
    # file: Telegram's copy still has its EXIF, so the stored (stripped) copy is uploaded.
    file_id: str
    file_unique_id: str


class ApplicationRecord(BaseModel):
    """An application row with its answers decrypted."""

    id: int
    merchant_id: int
    number: str | None
    state: str
    editing: str | None
    answers: dict[str, Any]
    documents: dict[str, DocumentRecord]
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None
    reviewer_id: int | None = None
    merchant_no: str | None = None
    to_fix: list[str] | None = None  # flagged fields not fixed yet (rejected applications)
    flags: dict[str, str] = {}  # field -> reason, latest rejection round


@dataclass(frozen=True)
class FormTurn:
    """The form a merchant's message or button answers, and what decides how (form_for)."""

    record: ApplicationRecord
    consented: bool  # a standing consent to the privacy notice's current version
    repeated: bool  # the update was handled before (delivered again after a crash)


class ApplicationEvent(BaseModel):
    """One entry of the audit trail."""

    actor: int | None
    from_state: str | None
    to_state: str
    note: str | None
    at: datetime


class ApplicationRepository:
    """Plain-SQL access to applications; the caller owns the transaction."""

    def __init__(
        self,
        tx: Tx,
        cipher: FieldCipher,
        lookup_hash: Callable[[str, Any], str | None] = lambda field, value: None,
    ) -> None:
        self.tx = tx
        self.cipher = cipher
        self.lookup_hash = lookup_hash  # the blind index of identifying answers

    async def _load(self, row: Any) -> ApplicationRecord:
        answers: dict[str, Any] = {}
        docs: dict[str, DocumentRecord] = {}
        # Answers and documents in one query: one trip to the database on every form step.
        for a in await self.tx.fetchall(_ANSWERS_AND_DOCUMENTS, (row["id"], row["id"])):
            if a["sha256"] is not None:
                docs[a["name"]] = DocumentRecord(
                    slot=a["name"],
                    sha256=a["sha256"],
                    mime_type=a["mime_type"],
                    size=a["size"],
                    file_id=a["file_id"],
                    file_unique_id=a["file_unique_id"],
                )
                continue
            raw = a["value"]
            if a["encrypted"]:
                raw = self.cipher.decrypt_str(raw, context=f"answer:{a['name']}")
            answers[a["name"]] = json.loads(raw)
        for slot, doc in docs.items():
            answers[slot] = doc.sha256
        # A draft was never rejected (nothing leads back to draft): no flags to look for, and
        # one query fewer on every form answer.
        flags = (
            []
            if row["state"] == "draft"
            else await self.tx.fetchall(
                "SELECT field, reason, fixed FROM application_flags WHERE application_id = ?"
                " AND round = (SELECT MAX(round) FROM application_flags WHERE application_id = ?)",
                (row["id"], row["id"]),
            )
        )
        order = {key: i for i, key in enumerate(FIELD_ORDER)}
        flags = sorted(flags, key=lambda f: order.get(f["field"], len(order)))
        to_fix = (
            [f["field"] for f in flags if not f["fixed"]] if row["state"] == "rejected" else None
        )
        return ApplicationRecord.model_validate(
            {
                **dict(row),
                "answers": answers,
                "documents": docs,
                "flags": {f["field"]: f["reason"] for f in flags},
                "to_fix": to_fix,
            }
        )

    async def get(self, application_id: int) -> ApplicationRecord | None:
        """An application by id."""
        row = await self.tx.fetchone("SELECT * FROM applications WHERE id = ?", (application_id,))
        return await self._load(row) if row else None

    async def draft_of(self, merchant_id: int) -> ApplicationRecord | None:
        """The merchant's unfinished application, if any."""
        row = await self.tx.fetchone(
            "SELECT * FROM applications WHERE merchant_id = ? AND state = 'draft'", (merchant_id,)
        )
        return await self._load(row) if row else None

    async def form_of(self, merchant_id: int) -> ApplicationRecord | None:
        """The application the merchant is filling in: a draft, or a rejected one to fix."""
        row = await self.tx.fetchone(
            "SELECT * FROM applications WHERE merchant_id = ? AND state IN ('draft', 'rejected')"
            " ORDER BY id DESC LIMIT 1",
            (merchant_id,),
        )
        return await self._load(row) if row else None

    async def active_form(self, merchant_id: int) -> ApplicationRecord | None:
        """The form the merchant's messages answer: a draft, or a rejected one being fixed."""
        row = await self.tx.fetchone(
            "SELECT * FROM applications WHERE merchant_id = ? AND (state = 'draft'"
            " OR (state = 'rejected' AND editing IS NOT NULL)) ORDER BY id DESC LIMIT 1",
            (merchant_id,),
        )
        return await self._load(row) if row else None

    async def form_for(
        self, merchant_id: int, *, consent_version: str, update_id: int | None = None
    ) -> FormTurn | None:
        """active_form, with whether the merchant's consent to `consent_version` stands and
        whether `update_id` was handled before, read in the same query (what a form step
        decides by: one trip to the database fewer for each)."""
        row = await self.tx.fetchone(
            "SELECT a.*, EXISTS (SELECT 1 FROM consents WHERE telegram_id = a.merchant_id"
            " AND version = ? AND withdrawn_at IS NULL) AS consented_,"
            " EXISTS (SELECT 1 FROM processed_updates WHERE update_id = ?) AS repeated_"
            " FROM applications AS a WHERE a.merchant_id = ? AND (a.state = 'draft'"
            " OR (a.state = 'rejected' AND a.editing IS NOT NULL)) ORDER BY a.id DESC LIMIT 1",
            (consent_version, update_id, merchant_id),
        )
        if row is None:
            return None
        data = dict(row)
        consented, repeated = bool(data.pop("consented_")), bool(data.pop("repeated_"))
        return FormTurn(await self._load(data), consented=consented, repeated=repeated)

    async def has_active_form(self, merchant_id: int) -> bool:
        """Whether active_form would find one (a single cheap query)."""
        row = await self.tx.fetchone(
            "SELECT 1 FROM applications WHERE merchant_id = ? AND (state = 'draft'"
            " OR (state = 'rejected' AND editing IS NOT NULL)) LIMIT 1",
            (merchant_id,),
        )
        return row is not None

    async def in_states(self, states: Sequence[str]) -> list[ApplicationRecord]:
        """Applications in any of `states`, oldest submission first."""
        marks = ", ".join("?" * len(states))
        rows = await self.tx.fetchall(
            f"SELECT * FROM applications WHERE state IN ({marks})"
            " ORDER BY COALESCE(submitted_at, created_at), id",
            tuple(states),
        )
        return [await self._load(r) for r in rows]

    async def resubmit(self, application_id: int, *, actor: int, note: str) -> bool:
        """A fixed application goes back to the reviewers (rejected -> submitted)."""
        check("rejected", "submitted")
        now = utcnow().isoformat()
        changed = await self.tx.execute(
            "UPDATE applications SET state = 'submitted', editing = NULL, reviewer_id = NULL,"
            " submitted_at = ?, updated_at = ? WHERE id = ? AND state = 'rejected'",
            (now, now, application_id),
        )
        if changed:
            await self.add_event(
                application_id, actor=actor, from_state="rejected", to_state="submitted", note=note
            )
        return changed == 1

    async def by_number(self, number: str) -> ApplicationRecord | None:
        """An application by its human-readable number (AP20261125-0001)."""
        row = await self.tx.fetchone(
            "SELECT * FROM applications WHERE number = ?", (number.strip().upper(),)
        )
        return await self._load(row) if row else None

    async def transition(
        self,
        application_id: int,
        expected: str,
        to_state: str,
        *,
        actor: int | None,
        note: str | None = None,
    ) -> bool:
        """Move from `expected` to `to_state` with an audit event; False if the state moved on.

        The conditional UPDATE is what makes two reviewers pressing Approve at the same
        moment produce exactly one transition.
        """
        check(expected, to_state)
        changed = await self.tx.execute(
            "UPDATE applications SET state = ?, updated_at = ? WHERE id = ? AND state = ?",
            (to_state, utcnow().isoformat(), application_id, expected),
        )
        if changed:
            await self.add_event(
                application_id, actor=actor, from_state=expected, to_state=to_state, note=note
            )
        return changed == 1

    async def take(self, record: ApplicationRecord, actor: int) -> bool:
        """A reviewer takes a submitted application (submitted -> under_review, `actor` its
        reviewer) in one conditional UPDATE, audited, `record` updated; False if it was not
        submitted or another reviewer moved it first."""
        if record.state != State.SUBMITTED:
            return False
        check(State.SUBMITTED, State.UNDER_REVIEW)
        changed = await self.tx.execute(
            "UPDATE applications SET state = ?, reviewer_id = ?, updated_at = ?"
            " WHERE id = ? AND state = ?",
            (State.UNDER_REVIEW, actor, utcnow().isoformat(), record.id, State.SUBMITTED),
        )
        if changed != 1:
            return False
        await self.add_event(
            record.id, actor=actor, from_state=State.SUBMITTED, to_state=State.UNDER_REVIEW
        )
        record.state, record.reviewer_id = State.UNDER_REVIEW, actor
        return True

    async def approve(self, record: ApplicationRecord, actor: int) -> bool:
        """Approve, taking a submitted application on the way (`actor` becomes its reviewer):
        each step audited, `record` updated; False if another reviewer moved it first."""
        if record.state == State.SUBMITTED and not await self.take(record, actor):
            return False
        if record.state != State.UNDER_REVIEW or not await self.transition(
            record.id, State.UNDER_REVIEW, State.APPROVED, actor=actor
        ):
            return False
        record.state = State.APPROVED
        return True

    async def events(self, application_id: int) -> list[ApplicationEvent]:
        """The audit trail, oldest first."""
        rows = await self.tx.fetchall(
            "SELECT actor, from_state, to_state, note, at FROM application_events"
            " WHERE application_id = ? ORDER BY id",
            (application_id,),
        )
        return [ApplicationEvent.model_validate(dict(r)) for r in rows]

    async def flag(self, application_id: int, reasons: dict[str, str]) -> int:
        """Record a rejection round's flagged fields and reasons; return the round number."""
        row = await self.tx.fetchone(
            "SELECT COALESCE(MAX(round), 0) + 1 AS next FROM application_flags"
            " WHERE application_id = ?",
            (application_id,),
        )
        round_no = int(row["next"]) if row else 1
        await self.tx.executemany(
            "INSERT INTO application_flags (application_id, round, field, reason)"
            " VALUES (?, ?, ?, ?)",
            # A reviewer may quote the number they reject: kept masked, like ticket messages.
            [(application_id, round_no, f, mask_text(r)) for f, r in reasons.items()],
        )
        return round_no

    async def mark_fixed(self, application_id: int, field: str) -> None:
        """The merchant answered a flagged field again."""
        await self.tx.execute(
            "UPDATE application_flags SET fixed = 1 WHERE application_id = ? AND field = ?"
            " AND round = (SELECT MAX(round) FROM application_flags WHERE application_id = ?)",
            (application_id, field, application_id),
        )

    async def open_queue(self) -> list[ApplicationRecord]:
        """Applications waiting for staff, oldest first."""
        rows = await self.tx.fetchall(
            "SELECT * FROM applications WHERE state IN ('submitted', 'under_review')"
            " ORDER BY submitted_at"
        )
        return [await self._load(r) for r in rows]

    async def latest_of(self, merchant_id: int) -> ApplicationRecord | None:
        """The merchant's most recent application in any state."""
        row = await self.tx.fetchone(
            "SELECT * FROM applications WHERE merchant_id = ? ORDER BY id DESC LIMIT 1",
            (merchant_id,),
        )
        return await self._load(row) if row else None

    async def create_draft(self, merchant_id: int) -> int:
        """Start a new empty draft and return its id."""
        now = utcnow().isoformat()
        app_id = await self.tx.insert(
            "INSERT INTO applications (merchant_id, state, created_at, updated_at)"
            " VALUES (?, 'draft', ?, ?)",
            (merchant_id, now, now),
        )
        await self.add_event(app_id, actor=merchant_id, from_state=None, to_state="draft")
        return app_id

    async def save_answer(self, application_id: int, field: str, value: Any, *, sensitive: bool):
        """Store (or replace) one answer; sensitive values are encrypted first."""
        raw = json.dumps(value, ensure_ascii=False)
        if sensitive:
            raw = self.cipher.encrypt_str(raw, context=f"answer:{field}")
        now = utcnow().isoformat()
        await self.tx.execute(
            "INSERT INTO application_answers (application_id, field, value, encrypted, updated_at,"
            " lookup_hash) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (application_id, field) DO UPDATE"
            " SET value = excluded.value, encrypted = excluded.encrypted,"
            " updated_at = excluded.updated_at, lookup_hash = excluded.lookup_hash",
            (application_id, field, raw, int(sensitive), now, self.lookup_hash(field, value)),
        )
        await self._touch(application_id)

    async def save_document(self, application_id: int, doc: DocumentRecord) -> None:
        """Attach (or replace) the document in a slot."""
        await self.tx.execute(
            "INSERT INTO application_documents (application_id, slot, sha256, mime_type, size,"
            " file_id, file_unique_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (application_id, slot) DO UPDATE SET sha256 = excluded.sha256,"
            " mime_type = excluded.mime_type, size = excluded.size, file_id = excluded.file_id,"
            " file_unique_id = excluded.file_unique_id, created_at = excluded.created_at",
            (
                application_id,
                doc.slot,
                doc.sha256,
                doc.mime_type,
                doc.size,
                doc.file_id,
                doc.file_unique_id,
                utcnow().isoformat(),
            ),
        )
        await self._touch(application_id)

    async def forget(self, application_id: int, fields: list[str]) -> None:
        """Drop answers (and documents) so those questions are asked again."""
        for field in fields:
            await self.tx.execute(
                "DELETE FROM application_answers WHERE application_id = ? AND field = ?",
                (application_id, field),
            )
            await self.tx.execute(
                "DELETE FROM application_documents WHERE application_id = ? AND slot = ?",
                (application_id, field),
            )

    async def set_editing(self, application_id: int, field: str | None) -> None:
        """Mark the field being re-asked from the review page (None when done)."""
        await self.tx.execute(
            "UPDATE applications SET editing = ? WHERE id = ?", (field, application_id)
        )

    async def delete(self, application_id: int) -> list[str]:
        """Delete a draft with its answers; return the sha256 of its documents."""
        rows = await self.tx.fetchall(
            "SELECT sha256 FROM application_documents WHERE application_id = ?", (application_id,)
        )
        await self.tx.execute("DELETE FROM applications WHERE id = ?", (application_id,))
        return [r["sha256"] for r in rows]

    async def purgeable(self, before: datetime) -> list[ApplicationRecord]:
        """Cancelled or rejected applications untouched since `before` that still hold files."""
        rows = await self.tx.fetchall(
            "SELECT * FROM applications AS a WHERE state IN ('cancelled', 'rejected')"
            " AND updated_at < ? AND EXISTS (SELECT 1 FROM application_documents AS d"
            " WHERE d.application_id = a.id) ORDER BY id",
            (before.isoformat(),),
        )
        return [await self._load(r) for r in rows]

    async def drop_documents(self, application_id: int) -> list[str]:
        """Forget the application's documents; return their blobs' sha256."""
        rows = await self.tx.fetchall(
            "SELECT sha256 FROM application_documents WHERE application_id = ?", (application_id,)
        )
        await self.tx.execute(
            "DELETE FROM application_documents WHERE application_id = ?", (application_id,)
        )
        return [r["sha256"] for r in rows]

    async def reencrypt_answers(self) -> int:
        """Encrypt every encrypted answer again under the current key; return how many."""
        rows = await self.tx.fetchall(
            "SELECT application_id, field, value FROM application_answers WHERE encrypted = 1"
        )
        for r in rows:
            context = f"answer:{r['field']}"
            plain = self.cipher.decrypt_str(r["value"], context=context)
            await self.tx.execute(
                "UPDATE application_answers SET value = ? WHERE application_id = ? AND field = ?",
                (self.cipher.encrypt_str(plain, context=context), r["application_id"], r["field"]),
            )
        return len(rows)

    async def blob_in_use(self, sha256: str) -> bool:
        """True if any application still references the stored file."""
        row = await self.tx.fetchone(
            "SELECT 1 FROM application_documents WHERE sha256 = ? LIMIT 1", (sha256,)
        )
        return row is not None

    async def submit(self, application_id: int, *, actor: int, day: str) -> str:
        """Give the draft its number (AP<day>-NNNN) and move it to submitted."""
        await self.tx.execute(
            "INSERT INTO application_counters (day, last) VALUES (?, 1)"
            " ON CONFLICT (day) DO UPDATE SET last = application_counters.last + 1",
            (day,),
        )
        row = await self.tx.fetchone("SELECT last FROM application_counters WHERE day = ?", (day,))
        assert row is not None
        number = f"AP{day}-{row['last']:04d}"
        check("draft", "submitted")
        now = utcnow().isoformat()
        await self.tx.execute(
            "UPDATE applications SET number = ?, state = 'submitted', editing = NULL,"
            " submitted_at = ?, updated_at = ? WHERE id = ? AND state = 'draft'",
            (number, now, now, application_id),
        )
        await self.add_event(application_id, actor=actor, from_state="draft", to_state="submitted")
        return number

    async def add_event(
        self,
        application_id: int,
        *,
        actor: int | None,
        from_state: str | None,
        to_state: str,
        note: str | None = None,
    ) -> None:
        """Append to the audit trail."""
        await self.tx.execute(
            "INSERT INTO application_events (application_id, actor, from_state, to_state, note, at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                application_id,
                actor,
                from_state,
                to_state,
                mask_text(note) if note else note,
                utcnow().isoformat(),
            ),
        )

    async def _touch(self, application_id: int) -> None:
        await self.tx.execute(
            "UPDATE applications SET updated_at = ? WHERE id = ?",
            (utcnow().isoformat(), application_id),
        )
