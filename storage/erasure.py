"""ErasureRepository: removing or blanking one person's data across tables (/deletemydata,
`merchant-bot purge`); what is held is read by storage/privacy.py. The caller owns the
transaction."""

from __future__ import annotations

from datetime import datetime

from storage.db import Tx, utcnow


class ErasureRepository:
    """Plain-SQL deletes and blanking of a person's rows; each returns what it removed."""

    def __init__(self, tx: Tx) -> None:
        self.tx = tx

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
        # Submissions' digests and the review albums are derived from the dropped answers.
        for table in (
            "application_flags",
            "pending_rejections",
            "staff_messages",
            "application_submissions",
            "review_albums",
        ):
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
        await self.tx.execute(
            "DELETE FROM activation_sessions WHERE merchant_id = ?", (telegram_id,)
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
