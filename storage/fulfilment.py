"""After approval: application codes, signed agreements, shipments, activations."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pydantic import BaseModel

from bot.crypto import FieldCipher, blind_index
from bot.masking import mask_text
from storage.db import Tx, utcnow


class IssuedCode(BaseModel):
    """An application code as stored (decrypted for its owner)."""

    id: int
    application_id: int
    code: str
    issued_at: datetime
    revoked_at: datetime | None


class Shipment(BaseModel):
    """How the POS machine travels, and which device it is."""

    carrier: str
    tracking_no: str
    shipped_at: datetime
    terminal_serial: str | None = None  # None for shipments recorded before serials were


class ActivationSession(BaseModel):
    """/activate between its two steps: the serial typed (None until then)."""

    serial: str | None
    started_at: datetime


class FulfilmentRepository:
    """Plain-SQL access to codes, agreements, shipments and terminals."""

    def __init__(self, tx: Tx, cipher: FieldCipher, lookup_keys: Sequence[bytes]) -> None:
        self.tx = tx
        self.cipher = cipher
        self.lookup_keys = tuple(lookup_keys)  # the first (current) one hashes new codes

    def _hash(self, canonical_code: str) -> str:
        return blind_index(canonical_code, self.lookup_keys[0])

    async def issue_code(self, application_id: int, canonical: str, display: str) -> None:
        """Store a new code for the application (encrypted; found again by keyed hash)."""
        await self.tx.execute(
            "INSERT INTO application_codes (application_id, code_hash, code_encrypted, issued_at)"
            " VALUES (?, ?, ?, ?)",
            (
                application_id,
                self._hash(canonical),
                self.cipher.encrypt_str(display, context="application_code"),
                utcnow().isoformat(),
            ),
        )

    async def current_code(self, application_id: int) -> IssuedCode | None:
        """The application's code that is not revoked."""
        row = await self.tx.fetchone(
            "SELECT * FROM application_codes WHERE application_id = ? AND revoked_at IS NULL"
            " ORDER BY id DESC LIMIT 1",
            (application_id,),
        )
        return self._code(row) if row else None

    async def find_code(self, canonical: str) -> IssuedCode | None:
        """The code record matching the typed code, revoked or not."""
        # Any lookup key: codes hashed before a key rotation are found too.
        hashes = [blind_index(canonical, key) for key in self.lookup_keys]
        row = await self.tx.fetchone(
            f"SELECT * FROM application_codes WHERE code_hash IN ({', '.join('?' * len(hashes))})",
            hashes,
        )
        return self._code(row) if row else None

    def _code(self, row) -> IssuedCode:
        return IssuedCode(
            id=row["id"],
            application_id=row["application_id"],
            code=self.cipher.decrypt_str(row["code_encrypted"], context="application_code"),
            issued_at=row["issued_at"],
            revoked_at=row["revoked_at"],
        )

    async def revoke_code(self, code_id: int, reason: str) -> None:
        """The code stops working at once."""
        await self.tx.execute(
            "UPDATE application_codes SET revoked_at = ?, revoke_reason = ? WHERE id = ?",
            (utcnow().isoformat(), mask_text(reason), code_id),
        )

    async def record_signature(
        self,
        application_id: int,
        merchant_id: int,
        version: str,
        locale: str,
        sha256: str,
        rates: dict[str, int | None],
    ) -> None:
        """The merchant accepted exactly this text, at these rates (fee_* columns)."""
        names = sorted(rates)
        if any(not n.startswith("fee_") or not n.isidentifier() for n in names):
            raise ValueError(f"not fee columns: {names}")
        columns = "".join(f", {n}" for n in names)
        await self.tx.execute(
            "INSERT INTO agreement_signatures (application_id, merchant_id, version, locale,"
            f" text_sha256, signed_at{columns}) VALUES (?, ?, ?, ?, ?, ?{', ?' * len(names)})",
            (
                application_id,
                merchant_id,
                version,
                locale,
                sha256,
                utcnow().isoformat(),
                *(rates[n] for n in names),
            ),
        )

    async def signature(self, application_id: int) -> dict | None:
        """The stored signature, if any."""
        row = await self.tx.fetchone(
            "SELECT * FROM agreement_signatures WHERE application_id = ?", (application_id,)
        )
        return dict(row) if row else None

    async def record_shipment(
        self, application_id: int, carrier: str, tracking_no: str, shipped_by: int, serial: str
    ) -> None:
        """The POS machine with this serial left the warehouse for the application."""
        await self.tx.execute(
            "INSERT INTO shipments (application_id, carrier, tracking_no, shipped_by, shipped_at,"
            " terminal_serial) VALUES (?, ?, ?, ?, ?, ?)",
            (application_id, carrier, tracking_no, shipped_by, utcnow().isoformat(), serial),
        )

    async def serial_in_use(self, serial: str) -> bool:
        """True if a device with this serial was shipped or activated already."""
        row = await self.tx.fetchone(
            "SELECT 1 FROM shipments WHERE terminal_serial = ?"
            " UNION ALL SELECT 1 FROM terminals WHERE serial = ?",
            (serial, serial),
        )
        return row is not None

    async def start_activation(self, merchant_id: int) -> None:
        """/activate began: it waits for the serial (a new start forgets an old one)."""
        await self.tx.execute(
            "INSERT INTO activation_sessions (merchant_id, serial, started_at) VALUES (?, NULL, ?)"
            " ON CONFLICT (merchant_id) DO UPDATE SET serial = NULL,"
            " started_at = excluded.started_at",
            (merchant_id, utcnow().isoformat()),
        )

    async def set_activation_serial(self, merchant_id: int, serial: str) -> None:
        """Step 1 done: the serial is kept until the code comes."""
        await self.tx.execute(
            "UPDATE activation_sessions SET serial = ? WHERE merchant_id = ?",
            (serial, merchant_id),
        )

    async def activation_session(self, merchant_id: int) -> ActivationSession | None:
        """The merchant's /activate in progress, if any."""
        row = await self.tx.fetchone(
            "SELECT serial, started_at FROM activation_sessions WHERE merchant_id = ?",
            (merchant_id,),
        )
        return ActivationSession.model_validate(dict(row)) if row else None

    async def end_activation(self, merchant_id: int) -> None:
        """/activate finished, was cancelled or expired."""
        await self.tx.execute(
            "DELETE FROM activation_sessions WHERE merchant_id = ?", (merchant_id,)
        )

    async def shipment(self, application_id: int) -> Shipment | None:
        """How it was shipped."""
        row = await self.tx.fetchone(
            "SELECT * FROM shipments WHERE application_id = ?", (application_id,)
        )
        return Shipment.model_validate(dict(row)) if row else None

    async def bind_terminal(self, serial: str, application_id: int) -> None:
        """The terminal with this serial now belongs to the application's merchant."""
        await self.tx.execute(
            "INSERT INTO terminals (serial, application_id, activated_at) VALUES (?, ?, ?)",
            (serial, application_id, utcnow().isoformat()),
        )

    async def terminal_owner(self, serial: str) -> int | None:
        """The application a terminal serial is bound to."""
        row = await self.tx.fetchone(
            "SELECT application_id FROM terminals WHERE serial = ?", (serial,)
        )
        return row["application_id"] if row else None

    async def record_attempt(self, merchant_id: int, ok: bool) -> None:
        """An activation attempt, counted for the lockout."""
        await self.tx.execute(
            "INSERT INTO activation_attempts (merchant_id, ok, at) VALUES (?, ?, ?)",
            (merchant_id, int(ok), utcnow().isoformat()),
        )

    async def failures_since(self, merchant_id: int, since: datetime) -> list[datetime]:
        """Failed attempts after `since` and after the last success, oldest first."""
        rows = await self.tx.fetchall(
            "SELECT at FROM activation_attempts WHERE merchant_id = ? AND ok = 0 AND at > ?"
            " AND at > COALESCE((SELECT MAX(at) FROM activation_attempts"
            " WHERE merchant_id = ? AND ok = 1), '') ORDER BY at",
            (merchant_id, since.isoformat(), merchant_id),
        )
        return [datetime.fromisoformat(r["at"]) for r in rows]

    async def all_codes(self) -> list[tuple[int, str]]:
        """(row id, decrypted display code) of every code, for re-encryption."""
        rows = await self.tx.fetchall("SELECT id, code_encrypted FROM application_codes")
        return [
            (r["id"], self.cipher.decrypt_str(r["code_encrypted"], context="application_code"))
            for r in rows
        ]

    async def rewrite_code(self, code_id: int, canonical: str, display: str) -> None:
        """Store the code again under the current keys."""
        await self.tx.execute(
            "UPDATE application_codes SET code_hash = ?, code_encrypted = ? WHERE id = ?",
            (
                self._hash(canonical),
                self.cipher.encrypt_str(display, context="application_code"),
                code_id,
            ),
        )
