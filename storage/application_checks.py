"""What the review card checks: identifiers shared with other applications (by blind index,
never by plaintext) and which answers changed since the previous submission (by keyed
digests kept per submission, never the values)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from bot.crypto import FieldCipher, blind_index
from storage.db import Tx, utcnow

# Answers that identify a business or a person: the same one on two applications is worth a
# reviewer's look. Kept as a keyed HMAC (application_answers.lookup_hash).
IDENTIFYING: tuple[str, ...] = ("credit_code", "legal_rep_id", "account_number", "phone")


def identity_key(field: str, value: Any) -> str:
    """The normalised text an identifier is indexed by."""
    text = str(value).strip().upper()
    return f"{field}:{text}"


class Duplicate(BaseModel):
    """Another application holding the same identifier."""

    number: str | None
    state: str
    merchant_no: str | None


class SharedIdentifier(BaseModel):
    """An identifier this application shares with others: the latest few of them, and how
    many more there are (hundreds can share one, and a card has room for a few)."""

    field: str
    latest: list[Duplicate]
    more: int


class SubmissionRound(BaseModel):
    """One submission: when it was made."""

    round: int
    submitted_at: datetime


class ApplicationChecksRepository:
    """Duplicate identifiers and per-submission snapshots; the caller owns the transaction."""

    def __init__(self, tx: Tx, cipher: FieldCipher, lookup_keys: Sequence[bytes]) -> None:
        self.tx = tx
        self.cipher = cipher
        self.lookup_keys = tuple(lookup_keys)

    def lookup_hash(self, field: str, value: Any) -> str | None:
        """The blind index stored with an identifying answer (None for other fields)."""
        if field not in IDENTIFYING or value in (None, ""):
            return None
        return blind_index(identity_key(field, value), self.lookup_keys[0])

    async def duplicates(
        self, application_id: int, answers: dict[str, Any], *, shown: int = 3
    ) -> list[SharedIdentifier]:
        """Each identifier other (non-draft) applications hold too: the `shown` latest of
        them and how many more; counted and cut in one query, never all loaded."""
        fields = [f for f in IDENTIFYING if answers.get(f) not in (None, "")]
        # Any lookup key: rows indexed before a key rotation are found too. A hash is of the
        # field and its value, so the hashes alone tell the fields apart.
        hashes = [
            blind_index(identity_key(f, answers[f]), k) for f in fields for k in self.lookup_keys
        ]
        if not hashes:
            return []
        rows = await self.tx.fetchall(
            "SELECT field, number, state, merchant_no, total FROM ("
            " SELECT x.field, a.number, a.state, a.merchant_no,"
            " ROW_NUMBER() OVER (PARTITION BY x.field ORDER BY a.id DESC) AS place,"
            " COUNT(*) OVER (PARTITION BY x.field) AS total"
            " FROM application_answers x JOIN applications a ON a.id = x.application_id"
            f" WHERE x.field IN ({', '.join('?' * len(fields))})"
            f" AND x.lookup_hash IN ({', '.join('?' * len(hashes))})"
            " AND x.application_id <> ? AND a.state <> 'draft'"
            ") shared WHERE place <= ? ORDER BY field, place",
            (*fields, *hashes, application_id, shown),
        )
        latest: dict[str, list[Duplicate]] = {}
        total: dict[str, int] = {}
        for r in rows:
            latest.setdefault(r["field"], []).append(
                Duplicate(number=r["number"], state=r["state"], merchant_no=r["merchant_no"])
            )
            total[r["field"]] = int(r["total"])
        return [
            SharedIdentifier(field=f, latest=latest[f], more=total[f] - len(latest[f]))
            for f in IDENTIFYING
            if f in latest
        ]

    async def reindex(self) -> int:
        """After a key rotation: every identifier's blind index again, under the current key."""
        await self.tx.execute("UPDATE application_answers SET lookup_hash = NULL")
        return await self.backfill()

    async def backfill(self) -> int:
        """Index identifying answers stored before the index existed; return how many."""
        rows = await self.tx.fetchall(
            "SELECT application_id, field, value, encrypted FROM application_answers"
            f" WHERE lookup_hash IS NULL AND field IN ({', '.join('?' * len(IDENTIFYING))})",
            IDENTIFYING,
        )
        for r in rows:
            raw = r["value"]
            if r["encrypted"]:
                raw = self.cipher.decrypt_str(raw, context=f"answer:{r['field']}")
            await self.tx.execute(
                "UPDATE application_answers SET lookup_hash = ?"
                " WHERE application_id = ? AND field = ?",
                (self.lookup_hash(r["field"], json.loads(raw)), r["application_id"], r["field"]),
            )
        return len(rows)

    def _digest(self, field: str, value: Any) -> str:
        raw = json.dumps(value, ensure_ascii=False, sort_keys=True)
        return blind_index(f"{field}={raw}", self.lookup_keys[0])

    async def record_submission(self, application_id: int, answers: dict[str, Any]) -> int:
        """Keep a digest of every answer as submitted now; return the round (1, 2, ...)."""
        row = await self.tx.fetchone(
            "SELECT COALESCE(MAX(round), 0) AS last FROM application_submissions"
            " WHERE application_id = ?",
            (application_id,),
        )
        round_ = int(row["last"] if row else 0) + 1
        digests = {field: self._digest(field, value) for field, value in answers.items()}
        await self.tx.execute(
            "INSERT INTO application_submissions (application_id, round, digests, submitted_at)"
            " VALUES (?, ?, ?, ?)",
            (application_id, round_, json.dumps(digests, sort_keys=True), utcnow().isoformat()),
        )
        return round_

    async def changed_since_last(self, application_id: int) -> set[str] | None:
        """Fields whose answer differs between the last two submissions; None before a second
        submission was recorded."""
        rows = await self.tx.fetchall(
            "SELECT digests FROM application_submissions WHERE application_id = ?"
            " ORDER BY round DESC LIMIT 2",
            (application_id,),
        )
        if len(rows) < 2:
            return None
        now, before = json.loads(rows[0]["digests"]), json.loads(rows[1]["digests"])
        changed = {f for f in set(now) | set(before) if now.get(f) != before.get(f)}
        # Nothing alike at all: the digests were made under different keys (a key rotation
        # in between), so they say nothing; the caller falls back to the flagged fields.
        return None if changed == set(now) | set(before) else changed

    async def rounds(self, application_id: int) -> list[SubmissionRound]:
        """Every submission, oldest first."""
        rows = await self.tx.fetchall(
            "SELECT round, submitted_at FROM application_submissions WHERE application_id = ?"
            " ORDER BY round",
            (application_id,),
        )
        return [SubmissionRound.model_validate(dict(r)) for r in rows]
