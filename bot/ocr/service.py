"""OCR prefill as use cases: read a stored photo, decide what to propose, confirm a proposal.

The photo is decrypted from the document store in memory only, read in the worker process
(bot.ocr.reader), and what was read is kept in the reader's memory for the merchant's taps.
Only a confirmed value is stored, as the answer it replaces (encrypted where typed answers
are), with the photo it came from; cross-checks are stored as match/mismatch.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from dataclasses import dataclass, field
from datetime import date

from bot.application import form
from bot.application import service as application
from bot.application.validation import FieldError
from bot.data import BotData
from storage import Repositories

log = logging.getLogger(__name__)

# The photos OCR reads, and the one-letter codes that name them in button data.
SLOTS = {"licence": "L", "id_front": "F", "id_back": "B"}
SLOT_OF = {code: slot for slot, code in SLOTS.items()}


@dataclass
class Proposal:
    """What a photo lets the bot propose, and what it found wrong with it."""

    slot: str
    values: dict[str, str] = field(default_factory=dict)  # in the form's order
    checks: dict[str, str] = field(default_factory=dict)  # id_name, id_validity
    id_name: str = ""  # the ID card's name when it is not the legal representative's


def token(value: str) -> str:
    """A short digest of a proposed value, carried by its ✅ button: a tap confirms exactly
    the value the merchant saw, or nothing."""
    return hashlib.sha256(value.encode()).hexdigest()[:8]


async def read_photo(data: BotData, slot: str, draft: form.Draft, *, today: date) -> dict[str, str]:
    """The validated fields the draft's stored photo in ``slot`` shows ({} if none)."""
    reader = data.reader
    sha = draft.answers.get(slot)
    if reader is None or not reader.enabled or not isinstance(sha, str) or sha == form.SKIPPED:
        return {}
    async with data.storage.autocommit() as repos:
        record = await repos.applications.get(draft.application_id)
    doc = record.documents.get(slot) if record else None
    if doc is None or doc.sha256 != sha:
        return {}
    cached = reader.recent(slot, sha)
    if cached is not None:
        return cached
    try:
        content = await asyncio.to_thread(data.documents.get, sha)
    except (OSError, ValueError):
        log.warning("the stored %s of application %s could not be read", slot, record.id)
        return {}
    fields = await reader.fields(slot, content, doc.mime_type, today=today)
    reader.remember(slot, sha, fields)
    return fields


def proposal(draft: form.Draft, slot: str, fields: dict[str, str], *, today: date) -> Proposal:
    """Which read fields to propose: those not answered yet; the ID card's number only when
    its name is the legal representative's (or no name is known yet)."""
    result = Proposal(slot)
    read = dict(fields)
    if slot == "id_front":
        known = draft.answers.get("legal_rep_name")
        name = read.get("legal_rep_name")
        if known and name:
            result.checks["id_name"] = "match" if name == known else "mismatch"
            if name != known:
                result.id_name = name
                read.pop("legal_rep_id", None)
    if slot == "id_back" and "id_valid_until" in read:
        until = read.pop("id_valid_until")
        expired = until != "long_term" and date.fromisoformat(until) < today
        result.checks["id_validity"] = "expired" if expired else "valid"
    for q in form.order(draft):
        if q.key in read and q.key in form.READABLE and not draft.has(q.key):
            result.values[q.key] = read[q.key]
    return result


async def record_checks(repos: Repositories, draft: form.Draft, found: Proposal) -> None:
    """Keep the cross-checks for the reviewer (results only, never the text read)."""
    for item, result in found.checks.items():
        await repos.readings.set(draft.application_id, item, result)


async def record_correction(repos: Repositories, draft: form.Draft, key: str, slot: str) -> None:
    """The merchant chose ✏️: the photo's reading of ``key`` is not what they will type."""
    await repos.readings.set(draft.application_id, f"corrected:{key}", slot)


def accept(draft: form.Draft, key: str, value: str, *, today: date) -> str:
    """Validate a proposed value exactly as a typed (or tapped) answer; FieldError if not."""
    if form.BY_KEY[key].kind is form.Kind.CHOICE:
        return form.accept_choice(draft, key, value)
    return form.accept_text(draft, key, value, today=today)


async def confirm(
    repos: Repositories,
    draft: form.Draft,
    slot: str,
    values: dict[str, str],
    update_id: int,
    *,
    today: date,
) -> list[str]:
    """Store the confirmed values (exactly once per update) as answers read from ``slot``;
    the fields stored. A value that no longer validates, or a field answered meanwhile, is
    left to be asked."""
    if not await repos.updates.claim(update_id):
        return []
    stored = []
    for key, value in values.items():
        if draft.has(key) or key not in form.READABLE:
            continue
        try:
            accepted = accept(draft, key, value, today=today)
        except FieldError:
            continue
        await application.store_answer(repos, draft, key, accepted, read_from=slot)
        stored.append(key)
    return stored
