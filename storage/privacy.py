"""PrivacyRepository: consents, data-subject requests, and one person's data across tables.

Reads gather what the bot holds about one Telegram user (for /privacy and /mydata);
storage/erasure.py removes or blanks it. The caller owns the transaction.
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
