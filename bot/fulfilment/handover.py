"""After approval: the merchant's application code, its voucher and the agreement to sign.

Written in the caller's transaction, like every service here; the outbox sender delivers.
"""

from __future__ import annotations

from bot import notify
from bot.data import BotData
from bot.fulfilment.agreement import agreement_to_sign
from bot.fulfilment.codes import generate_code, normalize_code
from bot.fulfilment.kinds import VOUCHER
from bot.settings import Locale
from storage import Repositories
from storage.applications import ApplicationRecord


async def issue_code(repos: Repositories, record: ApplicationRecord) -> str:
    """A new application code for the record (stored encrypted; the voucher carries it)."""
    code = generate_code()
    await repos.fulfilment.issue_code(record.id, normalize_code(code), code)
    return code


async def queue_voucher(repos: Repositories, data: BotData, record: ApplicationRecord) -> None:
    """The printable QR voucher of the application's current code, for its merchant."""
    locale = await notify.locale_of_user(repos, data, record.merchant_id)
    await repos.outbox.put(
        record.merchant_id, VOUCHER, {"application_id": record.id, "locale": locale}
    )


async def hand_over(
    repos: Repositories, data: BotData, record: ApplicationRecord, locale: Locale
) -> None:
    """After approval: a code, its voucher and the agreement to sign (in the merchant's
    `locale`), queued in that order.

    The code itself travels only in the voucher, rendered at send time from the encrypted
    store, so it never sits in plain text in the outbox.
    """
    code = generate_code()
    await repos.fulfilment.issue_code(record.id, normalize_code(code), code)
    voucher = {"application_id": record.id, "locale": locale}
    await repos.outbox.put(record.merchant_id, VOUCHER, voucher)
    text, buttons = agreement_to_sign(data, locale, record)
    agreement = {"text": text, "buttons": notify.button_rows(data, locale, buttons)}
    await repos.outbox.put(record.merchant_id, notify.TEXT, agreement)
