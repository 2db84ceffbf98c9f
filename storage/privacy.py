"""PrivacyRepository: consents, data-subject requests, and one person's data across tables.

Reads gather what the bot holds about one Telegram user (for /privacy and /mydata); the
erase methods remove or blank it. The caller owns the transaction.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from bot.crypto import FieldCipher
from storage.db import Tx, utcnow


class Consent(BaseModel):
    """One recorded "I agree" to a version of the privacy notice."""

    version: str
    locale: str
    text_sha256: str
    agreed_at: datetime
    withdrawn_at: datetime | None


class PrivacyRepository:
    """Plain-SQL access to consents, privacy_events and a person's rows elsewhere."""

    def __init__(self, tx: Tx, cipher: FieldCipher) -> None:
        self.tx = tx
        self.cipher = cipher

    # ------------------------------------------------------------------ consent

    async def consent(self, telegram_id: int, version: str) -> Consent | None:
        """The person's standing consent to `version`, if any."""
        row = await self.tx.fetchone(
            "SELECT version, locale, text_sha256, agreed_at, withdrawn_at FROM consents"
            " WHERE telegram_id = ? AND version = ? AND withdrawn_at IS NULL"
            " ORDER BY id DESC LIMIT 1",
            (telegram_id, version),
        )
        return Consent.model_validate(dict(row)) if row else None

    async def record_consent(
        self, telegram_id: int, *, version: str, locale: str, text_sha256: str
    ) -> bool:
        """Record an "I agree"; False (nothing written) if one for `version` stands already."""
        if await self.consent(telegram_id, version) is not None:
            return False
        await self.tx.execute(
            "INSERT INTO consents (telegram_id, version, locale, text_sha256, agreed_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (telegram_id, version, locale, text_sha256, utcnow().isoformat()),
        )
        return True

    async def consents(self, telegram_id: int) -> list[Consent]:
        """Every consent the person gave, oldest first."""
        rows = await self.tx.fetchall(
            "SELECT version, locale, text_sha256, agreed_at, withdrawn_at FROM consents"
            " WHERE telegram_id = ? ORDER BY id",
            (telegram_id,),
        )
        return [Consent.model_validate(dict(r)) for r in rows]

    async def withdraw_consents(self, telegram_id: int) -> int:
        """Mark standing consents withdrawn (the rows stay as proof)."""
        return await self.tx.execute(
            "UPDATE consents SET withdrawn_at = ? WHERE telegram_id = ? AND withdrawn_at IS NULL",
            (utcnow().isoformat(), telegram_id),
        )

    # ------------------------------------------------------------------ audit

    async def add_event(self, telegram_id: int, action: str, detail: dict[str, Any]) -> None:
        """Audit a data-subject request; `detail` holds categories and counts only."""
        await self.tx.execute(
            "INSERT INTO privacy_events (telegram_id, action, detail, at) VALUES (?, ?, ?, ?)",
            (telegram_id, action, json.dumps(detail, sort_keys=True), utcnow().isoformat()),
        )

    async def events(self, telegram_id: int) -> list[dict[str, Any]]:
        """The person's requests, oldest first."""
        rows = await self.tx.fetchall(
            "SELECT action, detail, at FROM privacy_events WHERE telegram_id = ? ORDER BY id",
            (telegram_id,),
        )
        return [
            {"action": r["action"], "detail": json.loads(r["detail"]), "at": r["at"]} for r in rows
        ]

    # ------------------------------------------------------------------ reads

    async def user_row(self, telegram_id: int) -> dict[str, Any] | None:
        """The users row as stored."""
        row = await self.tx.fetchone("SELECT * FROM users WHERE telegram_id = ?", (telegram_id,))
        return dict(row) if row else None

    async def application_ids(self, telegram_id: int) -> list[int]:
        """Every application of the person, oldest first."""
        rows = await self.tx.fetchall(
            "SELECT id FROM applications WHERE merchant_id = ? ORDER BY id", (telegram_id,)
        )
        return [r["id"] for r in rows]

    async def codes(self, application_id: int) -> list[dict[str, Any]]:
        """Every code issued for the application, decrypted (the caller masks it)."""
        rows = await self.tx.fetchall(
            "SELECT code_encrypted, issued_at, revoked_at, revoke_reason FROM application_codes"
            " WHERE application_id = ? ORDER BY id",
            (application_id,),
        )
        return [
            {
                "code": self.cipher.decrypt_str(r["code_encrypted"], context="application_code"),
                "issued_at": r["issued_at"],
                "revoked_at": r["revoked_at"],
                "revoke_reason": r["revoke_reason"],
            }
            for r in rows
        ]

    async def rows(self, table: str, column: str, value: object) -> list[dict[str, Any]]:
        """Rows of one of the person's tables (a fixed list: never a name from input)."""
        if (table, column) not in _READABLE:
            raise ValueError(f"not a personal-data table: {table}.{column}")
        order = _READABLE[table, column]
        rows = await self.tx.fetchall(
            f"SELECT * FROM {table} WHERE {column} = ? ORDER BY {order}", (value,)
        )
        return [dict(r) for r in rows]

    async def ticket_ids(self, telegram_id: int) -> list[int]:
        """The person's tickets."""
        rows = await self.tx.fetchall(
            "SELECT id FROM tickets WHERE merchant_id = ? ORDER BY id", (telegram_id,)
        )
        return [r["id"] for r in rows]

    async def transaction_summary(self, merchant_no: str) -> dict[str, Any]:
        """How many transactions, over which period, and the totals per type (fen)."""
        rows = await self.tx.fetchall(
            "SELECT type, COUNT(*) AS n, SUM(amount) AS amount, SUM(fee) AS fee,"
            " MIN(occurred_at) AS first, MAX(occurred_at) AS last FROM transactions"
            " WHERE merchant_no = ? GROUP BY type ORDER BY type",
            (merchant_no,),
        )
        return {
            "count": sum(r["n"] for r in rows),
            "first": min((r["first"] for r in rows), default=None),
            "last": max((r["last"] for r in rows), default=None),
            "by_type": {
                r["type"]: {"count": r["n"], "amount_fen": r["amount"], "fee_fen": r["fee"]}
                for r in rows
            },
        }

    # ------------------------------------------------------------------ erasure

    async def delete_application(self, application_id: int) -> list[str]:
        """Delete an application and everything hanging off it; return its blobs' sha256."""
        rows = await self.tx.fetchall(
            "SELECT sha256 FROM application_documents WHERE application_id = ?", (application_id,)
        )
        await self.tx.execute("DELETE FROM applications WHERE id = ?", (application_id,))
        return [r["sha256"] for r in rows]

    async def reduce_to_contract(self, application_id: int, keep_fields: tuple[str, ...]) -> dict:
        """Keep what identifies the contract party; drop the rest of the application's data.

        Returns counts and the sha256 of the dropped documents.
        """
        marks = ", ".join("?" * len(keep_fields))
        answers = await self.tx.execute(
            f"DELETE FROM application_answers WHERE application_id = ? AND field NOT IN ({marks})",
            (application_id, *keep_fields),
        )
        blobs = await self.tx.fetchall(
            "SELECT sha256 FROM application_documents WHERE application_id = ?", (application_id,)
        )
        await self.tx.execute(
            "DELETE FROM application_documents WHERE application_id = ?", (application_id,)
        )
        codes = await self.tx.execute(
            "DELETE FROM application_codes WHERE application_id = ?", (application_id,)
        )
        for table in ("application_flags", "pending_rejections", "staff_messages"):
            await self.tx.execute(
                f"DELETE FROM {table} WHERE application_id = ?", (application_id,)
            )
        # A rejection's note repeats the reviewer's reasons, which may quote the data.
        await self.tx.execute(
            "UPDATE application_events SET note = NULL WHERE application_id = ?"
            " AND to_state = 'rejected'",
            (application_id,),
        )
        await self.tx.execute(
            "UPDATE applications SET editing = NULL, updated_at = ? WHERE id = ?",
            (utcnow().isoformat(), application_id),
        )
        return {"answers": answers, "codes": codes, "blobs": [r["sha256"] for r in blobs]}

    async def blank_tickets(self, telegram_id: int) -> int:
        """Blank what was said on the person's tickets; the rows stay for the statistics."""
        changed = await self.tx.execute(
            "UPDATE ticket_messages SET body = '', file_name = NULL WHERE ticket_id IN"
            " (SELECT id FROM tickets WHERE merchant_id = ?)",
            (telegram_id,),
        )
        await self.tx.execute(
            "UPDATE ticket_events SET note = NULL WHERE action NOT IN ('rate') AND ticket_id IN"
            " (SELECT id FROM tickets WHERE merchant_id = ?)",
            (telegram_id,),
        )
        await self.tx.execute(
            "UPDATE tickets SET subject = '', rating_comment = NULL, comment_wanted = 0"
            " WHERE merchant_id = ?",
            (telegram_id,),
        )
        await self.tx.execute("DELETE FROM ticket_drafts WHERE merchant_id = ?", (telegram_id,))
        return changed

    async def blank_closed_tickets(self, before: datetime) -> int:
        """Blank what was said on tickets closed before `before`; return how many tickets."""
        rows = await self.tx.fetchall(
            "SELECT id FROM tickets WHERE closed_at IS NOT NULL AND closed_at < ?"
            " AND (subject != '' OR EXISTS (SELECT 1 FROM ticket_messages AS m"
            " WHERE m.ticket_id = tickets.id AND (m.body != '' OR m.file_name IS NOT NULL)))",
            (before.isoformat(),),
        )
        for r in rows:
            await self.tx.execute(
                "UPDATE ticket_messages SET body = '', file_name = NULL WHERE ticket_id = ?",
                (r["id"],),
            )
            await self.tx.execute(
                "UPDATE tickets SET subject = '', rating_comment = NULL WHERE id = ?", (r["id"],)
            )
        return len(rows)

    async def blank_faq_questions(self, telegram_id: int) -> int:
        """Forget what the person typed into the FAQ (entry shown and vote stay, unlinked text)."""
        return await self.tx.execute(
            "UPDATE faq_questions SET question = NULL, reason = NULL"
            " WHERE telegram_id = ? AND question IS NOT NULL",
            (telegram_id,),
        )

    async def anonymise_user(self, telegram_id: int) -> None:
        """Keep the id (other rows point at it) and the chosen language; drop the profile."""
        await self.tx.execute(
            "UPDATE users SET first_name = '', username = NULL, language_code = NULL,"
            " updated_at = ? WHERE telegram_id = ?",
            (utcnow().isoformat(), telegram_id),
        )

    async def drop_delivered_messages(self, chat_id: int) -> int:
        """Delete the person's delivered (or given up) notifications from the outbox."""
        return await self.tx.execute(
            "DELETE FROM outbox WHERE chat_id = ?"
            " AND (sent_at IS NOT NULL OR failed_at IS NOT NULL)",
            (chat_id,),
        )

    async def drop_activation_attempts(self, telegram_id: int) -> None:
        """The lock-out counter's history."""
        await self.tx.execute(
            "DELETE FROM activation_attempts WHERE merchant_id = ?", (telegram_id,)
        )

    async def drop_unused_merchants(self, telegram_id: int, kept_apps: list[int]) -> int:
        """Merchant records of the person with no transactions and no kept application."""
        rows = await self.tx.fetchall(
            "SELECT m.merchant_no, m.application_id FROM merchants AS m WHERE m.telegram_id = ?"
            " AND NOT EXISTS (SELECT 1 FROM transactions AS t WHERE t.merchant_no = m.merchant_no)",
            (telegram_id,),
        )
        dropped = 0
        for r in rows:
            if r["application_id"] in kept_apps:
                continue
            await self.tx.execute(
                "DELETE FROM summary_deliveries WHERE merchant_no = ?", (r["merchant_no"],)
            )
            await self.tx.execute(
                "DELETE FROM merchants WHERE merchant_no = ?", (r["merchant_no"],)
            )
            dropped += 1
        return dropped

    async def blob_in_use(self, sha256: str) -> bool:
        """True if any application still references the stored file."""
        row = await self.tx.fetchone(
            "SELECT 1 FROM application_documents WHERE sha256 = ? LIMIT 1", (sha256,)
        )
        return row is not None


# Tables (and the column naming their owner) that `rows` may read, with their row order.
_READABLE = {
    ("application_events", "application_id"): "id",
    ("application_flags", "application_id"): "round, field",
    ("application_documents", "application_id"): "created_at, slot",
    ("agreement_signatures", "application_id"): "application_id",
    ("shipments", "application_id"): "application_id",
    ("terminals", "application_id"): "activated_at, serial",
    ("tickets", "id"): "id",
    ("ticket_messages", "ticket_id"): "id",
    ("ticket_events", "ticket_id"): "id",
    ("faq_questions", "telegram_id"): "id",
    ("merchants", "telegram_id"): "merchant_no",
}
