"""The application form as transactions: open a draft, store an answer, submit, withdraw, fix.

Every function that changes state takes the open Repositories (the caller owns the
transaction) and the application's Policy (its settings, read once) and returns what it did;
the messages it causes go to the outbox in the same transaction. Nothing here sends or draws
anything: handlers/onboarding.py and the outbox sender do.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from dataclasses import dataclass

from bot import notify
from bot.application import form
from bot.application.lifecycle import State
from bot.application.validation import FieldError
from bot.documents import DocumentStore, check_document
from bot.metadata import strip_metadata
from bot.review.kinds import REVIEW_CARD
from bot.settings import Locale, Settings
from storage import Repositories
from storage.applications import ApplicationRecord, DocumentRecord

log = logging.getLogger(__name__)

MIB = 1024 * 1024
# A submitted application may be withdrawn until the POS machine ships.
WITHDRAWABLE = (
    State.SUBMITTED,
    State.UNDER_REVIEW,
    State.REJECTED,
    State.APPROVED,
    State.AGREEMENT_SIGNED,
)


@dataclass(frozen=True)
class Policy:
    """The application's settings as its use cases need them: the largest document accepted,
    and where submissions and withdrawals are told (the review chat, in the deployment's
    default language)."""

    max_document_bytes: int
    review_chat_id: int | None
    staff_locale: Locale

    @classmethod
    def of(cls, settings: Settings) -> Policy:
        """The policy the settings describe."""
        return cls(
            max_document_bytes=int(settings.max_document_mb * MIB),
            review_chat_id=settings.review_chat_id,
            staff_locale=settings.default_locale,
        )


def answered(draft: form.Draft) -> int:
    """How many questions the draft has answered (skips count)."""
    return sum(1 for q in form.QUESTIONS if draft.has(q.key))


async def open_draft(repos: Repositories, user_id: int) -> ApplicationRecord:
    """The merchant's empty draft, opened if there is none."""
    record = await repos.applications.draft_of(user_id)
    if record is None:
        record = await repos.applications.get(await repos.applications.create_draft(user_id))
    assert record is not None
    return record


async def store_document(
    documents: DocumentStore,
    policy: Policy,
    draft: form.Draft,
    slot: str,
    content: bytes,
    *,
    declared_mime: str | None,
    file_name: str | None,
    file_id: str,
    file_unique_id: str,
    sent_as_photo: bool = False,
) -> DocumentRecord:
    """Check an upload by its real content, strip an image's metadata (EXIF, GPS, ...) and
    store it encrypted; refuse reuse in another slot. Raises FieldError."""
    # Decoding a photo is CPU work: off the event loop. Only the licence may be a PDF.
    mime = await asyncio.to_thread(
        check_document,
        content,
        declared_mime=declared_mime,
        file_name=file_name,
        max_bytes=policy.max_document_bytes,
        pdf_allowed=slot == "licence",
    )
    content = await asyncio.to_thread(strip_metadata, content, mime)
    sha256 = hashlib.sha256(content).hexdigest()
    for other in form.DOCUMENT_SLOTS:
        if other != slot and draft.answers.get(other) == sha256:
            raise FieldError("document.reused", {"slot": other})
    # fsync'd file I/O: keep it off the event loop.
    blob = await asyncio.to_thread(documents.put, content, mime)
    return DocumentRecord(
        slot=slot,
        sha256=blob.sha256,
        mime_type=mime,
        size=blob.size,
        # An image sent as a file is, at Telegram, still the file with its EXIF: the review
        # album uploads the stored copy instead (no file_id). Telegram photos carry none.
        file_id=file_id if sent_as_photo or not mime.startswith("image/") else "",
        file_unique_id=file_unique_id,
    )


async def save_answer(
    repos: Repositories, draft: form.Draft, key: str, value: object, update_id: int
) -> bool:
    """Store one answer (exactly once per update) and settle edits; ``draft`` follows.
    False if another delivery of the same update stored it already."""
    if not await repos.updates.claim(update_id):
        return False
    await store_answer(repos, draft, key, value)
    return True


async def store_answer(
    repos: Repositories, draft: form.Draft, key: str, value: object, *, read_from: str = ""
) -> None:
    """Store one answer and settle edits (the caller claimed the update); ``read_from`` names
    the photo the merchant confirmed it from (OCR prefill), empty when it was typed."""
    q = form.BY_KEY[key]
    apps = repos.applications
    if isinstance(value, DocumentRecord):
        await apps.save_document(draft.application_id, value)
        draft.answers[key] = value.sha256
    else:
        await apps.save_answer(draft.application_id, key, value, sensitive=q.sensitive)
        draft.answers[key] = value
        if read_from:
            await repos.readings.set(draft.application_id, key, read_from)
        elif key in form.READABLE:
            await repos.readings.forget(draft.application_id, key)
    stale = form.invalidated(draft)
    if stale:
        await apps.forget(draft.application_id, stale)
        for field in stale:
            draft.answers.pop(field, None)
    if draft.fixing and key in draft.to_fix:
        await apps.mark_fixed(draft.application_id, key)
        draft.to_fix.remove(key)
    if draft.editing == key:
        # A rejected application stays in fixing mode until it is resubmitted.
        await apps.set_editing(draft.application_id, form.FIXING if draft.fixing else None)
        draft.editing = None


async def edit(repos: Repositories, draft: form.Draft, key: str) -> None:
    """Ask ``key`` again (the Edit button on the review page); ``draft`` follows."""
    await repos.applications.set_editing(draft.application_id, key)
    draft.editing = key


async def submit(
    repos: Repositories,
    policy: Policy,
    draft: form.Draft,
    *,
    actor: int,
    update_id: int,
    day: str,
) -> str | None:
    """Number the application (or resubmit the fixed one) and queue its card for the
    reviewers; its number, or None if this update was handled already."""
    if not await repos.updates.claim(update_id):
        return None
    apps = repos.applications
    if draft.fixing:
        record = await apps.get(draft.application_id)
        assert record is not None
        fixed = ", ".join(record.flags)
        if not await apps.resubmit(draft.application_id, actor=actor, note=f"fixed: {fixed}"):
            return None
        number = record.number or ""
    else:
        number = await apps.submit(draft.application_id, actor=actor, day=day)
    submitted = await apps.get(draft.application_id)
    assert submitted is not None
    # What was submitted, as keyed digests: the card says what changed since the last time.
    await repos.checks.record_submission(submitted.id, submitted.answers)
    if policy.review_chat_id is not None:
        await repos.outbox.put(
            policy.review_chat_id,
            REVIEW_CARD,
            {"application_id": draft.application_id},
            dedupe_key=f"card:{draft.application_id}:{update_id}",
        )
    log.info(
        "application %s %s by user %s",
        number,
        "resubmitted" if draft.fixing else "submitted",
        actor,
    )
    return number


async def withdraw(
    repos: Repositories, policy: Policy, user_id: int, app_id: str
) -> ApplicationRecord | None:
    """Withdraw the merchant's latest application if it is ``app_id`` and has not shipped:
    revoke its code and tell the review chat. The record, or None if nothing changed."""
    record = await repos.applications.latest_of(user_id)
    if (
        record is None
        or str(record.id) != app_id
        or record.state not in WITHDRAWABLE
        or not await repos.applications.transition(
            record.id, record.state, State.CANCELLED, actor=user_id, note="withdrawn"
        )
    ):
        return None
    issued = await repos.fulfilment.current_code(record.id)
    if issued is not None:
        await repos.fulfilment.revoke_code(issued.id, "application withdrawn")
    await notify.to_staff_chat(
        repos, policy.review_chat_id, policy.staff_locale, "review/withdrawn", number=record.number
    )
    log.info("application %s withdrawn by user %s", app_id, user_id)
    return record


async def start_fixing(repos: Repositories, user_id: int, app_id: str) -> ApplicationRecord | None:
    """Put a rejected application ``app_id`` into fixing mode; None if it is not the
    merchant's rejected one."""
    record = await repos.applications.form_of(user_id)
    if record is None or str(record.id) != app_id or record.state != "rejected":
        return None
    if record.editing is None:
        await repos.applications.set_editing(record.id, form.FIXING)
        record.editing = form.FIXING
    return record


async def discard(repos: Repositories, application_id: int, actor: int) -> list[str]:
    """Delete a draft; the stored files nothing else references, for delete_files()."""
    blobs = await repos.applications.delete(application_id)
    log.info("draft %s discarded by user %s", application_id, actor)
    return [sha for sha in blobs if not await repos.applications.blob_in_use(sha)]


def delete_files(documents: DocumentStore, shas: list[str]) -> None:
    """Remove stored files, once the transaction that orphaned them has committed."""
    for sha in shas:
        documents.delete(sha)
