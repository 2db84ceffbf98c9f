"""Consent and retention rules: the notice's version and hash, what stays after erasure."""

from __future__ import annotations

import hashlib
from typing import Any

from bot.application.lifecycle import State
from bot.settings import Settings

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
