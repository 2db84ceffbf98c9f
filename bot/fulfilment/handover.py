"""After approval: the merchant's application code, its voucher and the agreement to sign.

Written in the caller's transaction, like every service here; the outbox sender delivers and
draws the voucher and the agreement when it sends them, in the merchant's language.
"""

from __future__ import annotations

from bot.fulfilment.codes import generate_code, normalize_code
from bot.fulfilment.kinds import AGREEMENT, VOUCHER
from storage import Repositories
from storage.applications import ApplicationRecord


async def issue_code(repos: Repositories, record: ApplicationRecord) -> str:
    """A new application code for the record (stored encrypted; the voucher carries it)."""
    code = generate_code()
    await repos.fulfilment.issue_code(record.id, normalize_code(code), code)
    return code


async def queue_voucher(repos: Repositories, record: ApplicationRecord) -> None:
    """The printable QR voucher of the application's current code, for its merchant."""
    await repos.outbox.put(record.merchant_id, VOUCHER, {"application_id": record.id})


async def hand_over(repos: Repositories, record: ApplicationRecord) -> None:
    """After approval: a code, its voucher and the agreement to sign, queued in that order.

    The code itself travels only in the voucher, rendered at send time from the encrypted
    store, so it never sits in plain text in the outbox.
    """
    await issue_code(repos, record)
    await queue_voucher(repos, record)
    await repos.outbox.put(record.merchant_id, AGREEMENT, {"application_id": record.id})
