"""Consent and data rights (PIPL): the notice's version, what we hold, export and erasure.

No Telegram types here: handlers/privacy.py and handlers/consent.py render and send; these
functions take the repositories of one transaction and return plain results.

Decisions, in the merchant's interest and the operator's legal duties:
- Consent is asked once per POLICY_VERSION; the record keeps the version, the sha256 of the
  exact text shown (it contains the retention settings) and the UTC time.
- The export holds the merchant's own data in full (answers decrypted, documents), except the
  application code, which is masked: it is a bearer credential for activating the POS, /code
  shows it in the chat whenever needed, and an export file is meant to be kept and moved
  around. Staff are named by role, not by their Telegram id, and internal staff notes on
  tickets are left out (they are staff's assessments, not the merchant's data).
- Erasure deletes everything except what a signed contract and the transaction records need
  (CONTRACT_FIELDS of a signed application, its state history, agreement signature, shipment
  and terminal; merchant numbers with transactions). Consent records stay, marked withdrawn,
  as proof of what was agreed. An application between submission and activation blocks
  erasure: the merchant withdraws it with /cancel first (or waits for activation), so a
  review or a shipment is never pulled out from under staff without the merchant saying so.

- rules.py    the notice's version and hash, retention, what is in flight or contractual
- export.py   what is held (/privacy) and the export (/mydata), as data
- erase.py    erasure and what blocks it
- service.py  the use cases the handlers run: consent, decline, export, erase

May import: storage/, bot.application, bot's low-level modules. Never handlers/, scheduler/,
telegram or bot/app.py (tests/test_layers.py).
"""

from bot.privacy.erase import (
    Erasure,
    ErasureBlocked,
    blocking_application,
    erase,
    has_contract,
)
from bot.privacy.export import Export, Holdings, build_zips, collect_export, holdings
from bot.privacy.rules import (
    CONTRACT_FIELDS,
    IN_FLIGHT,
    POLICY_VERSION,
    mask_code,
    notice_hash,
    retention,
)

__all__ = [
    "CONTRACT_FIELDS",
    "IN_FLIGHT",
    "POLICY_VERSION",
    "Erasure",
    "ErasureBlocked",
    "Export",
    "Holdings",
    "blocking_application",
    "build_zips",
    "collect_export",
    "erase",
    "has_contract",
    "holdings",
    "mask_code",
    "notice_hash",
    "retention",
]
