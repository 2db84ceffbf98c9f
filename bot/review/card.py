"""An application's card in the review chat, as facts: what the card shows, read in one place
in the caller's transaction (the fields masked, the rates formatted in the staff chats'
language), so handlers/review_views.py draws it with one render and reads nothing itself.
Only ids, records and plain values here; no text.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.application import form
from bot.fees import fee_texts, rates_for
from bot.notify import locale_of_user
from bot.settings import Locale, Settings
from storage import Repositories
from storage.application_checks import SharedIdentifier
from storage.applications import ApplicationRecord
from storage.reviews import ReviewAlbum


@dataclass(frozen=True)
class EarlierAlbum:
    """Documents not posted again this round, and the earlier album message they are in."""

    slots: list[str]
    message_id: int


@dataclass(frozen=True)
class ReviewCard:
    """Everything an application's card shows, and where it is posted."""

    record: ApplicationRecord
    reviewer: str | None  # the reviewer's first name, once taken
    merchant_locale: Locale  # the language the merchant reads (reasons should be in it)
    # The rates kept with the signature, else the current ones, formatted in the staff chats'
    # language (the values of fees/short.j2, which review/card.j2 includes); None: none set.
    fees: dict[str, str] | None
    # A card waiting for a decision after a resubmission marks what changed (🆕).
    resubmitted: bool
    changed: set[str] | None  # since the last submission; None when it cannot be told
    rows: list[dict]  # the fields as the card shows them (`card_rows`)
    readings: dict[str, str]  # OCR prefill: each confirmed field's slot and each check
    # Identifiers other applications hold too: the latest few of those, and how many more.
    duplicates: list[SharedIdentifier]
    album: EarlierAlbum | None
    posted: list[tuple[int, int]]  # (chat id, message id) of every card already posted


async def review_card(
    repos: Repositories, application_id: int, settings: Settings
) -> ReviewCard | None:
    """The card's facts for application `application_id`; None if there is none."""
    record = await repos.applications.get(application_id)
    if record is None:
        return None
    reviewer = await repos.users.get(record.reviewer_id) if record.reviewer_id else None
    signed = await repos.fulfilment.signature(record.id)
    resubmitted = bool(record.flags) and record.state in ("submitted", "under_review")
    # Only a card waiting for a decision marks 🆕 (its legend is shown then); a decided card
    # marks nothing, else the flagged fields would look changed without a legend.
    changed = await repos.checks.changed_since_last(record.id) if resubmitted else set()
    readings = await repos.readings.of(record.id)
    duplicates = await repos.checks.duplicates(record.id, record.answers)
    albums = await repos.albums.of(record.id)
    posted = await repos.staff.messages_of(record.id, "card")
    merchant_locale = await locale_of_user(repos, record.merchant_id, settings.default_locale)
    schedule = rates_for(signed, settings)
    fees = fee_texts(schedule, settings.default_locale)
    # Read; now put as the card shows them. The flagged fields stand for the changed ones when
    # the submissions cannot tell.
    album = earlier_album(albums)
    rows = card_rows(record, set(record.flags) if changed is None else changed, readings)
    return ReviewCard(
        record=record,
        reviewer=reviewer.first_name if reviewer else None,
        merchant_locale=merchant_locale,
        fees=fees,
        resubmitted=resubmitted,
        changed=changed,
        rows=rows,
        readings=readings,
        duplicates=duplicates,
        album=album,
        posted=posted,
    )


def card_rows(record: ApplicationRecord, changed: set[str], read: dict[str, str]) -> list[dict]:
    """The fields as staff see them: ID, account and phone masked; a document or a choice as
    its label's key (`term`); the fields that changed since the last submission marked; with
    OCR prefill, whether each readable field was confirmed from a photo or typed (`source`)."""
    # Provenance only where OCR prefill ran (a field was confirmed or a photo cross-checked).
    shows_source = bool(read)
    rows = []
    for q in form.QUESTIONS:
        value = record.answers.get(q.key)
        source = _source(q.key, read) if shows_source and q.key in form.READABLE else None
        term = None
        if q.kind is form.Kind.DOCUMENT:
            term = "doc_skipped" if value == form.SKIPPED else "doc_received"
        elif q.kind is form.Kind.CHOICE:
            term = f"choice_{q.key}_{value}"
        rows.append(
            {
                "key": q.key,
                "term": term,
                "value": None if term else form.display_value(q.key, value) or "",
                "changed": record.state != "rejected" and q.key in changed,
                "source": source,
            }
        )
    return rows


def _source(key: str, read: dict[str, str]) -> str:
    if key in read:
        return "read_ocr"
    return "read_corrected" if f"corrected:{key}" in read else "read_typed"


def posted_before(albums: list[ReviewAlbum], round_: int) -> tuple[dict[str, str], dict[str, int]]:
    """Before `round_`: each document's sha256 as last submitted, and the album message each
    was last posted in (a round posts only what changed)."""
    shown: dict[str, str] = {}
    where: dict[str, int] = {}
    for album in albums:
        if album.round >= round_:
            break
        for slot, sha in album.documents.items():
            if shown.get(slot) != sha and album.message_id is not None:
                where[slot] = album.message_id
            shown[slot] = sha
    return shown, where


def earlier_album(albums: list[ReviewAlbum]) -> EarlierAlbum | None:
    """The documents the last round did not post again (unchanged) and where they are."""
    if len(albums) < 2:
        return None
    shown, where = posted_before(albums, albums[-1].round)
    current = albums[-1].documents
    same = [s for s in form.DOCUMENT_SLOTS if s in current and shown.get(s) == current[s]]
    earlier = max((where[s] for s in same if s in where), default=None)
    if not same or earlier is None:
        return None
    return EarlierAlbum(same, earlier)
