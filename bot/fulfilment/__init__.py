"""Fulfilment: what happens to an application after approval, as one folder.

- codes.py      application codes (申请码): generation, normalisation, check symbol (pure)
- voucher.py    the printable QR voucher PNG of a code (pure)
- kinds.py      the outbox message kinds fulfilment queues
- agreement.py  the service agreement: its text, its hash and signing it
- handover.py   after approval: a code, its voucher and the agreement, queued in order
- service.py    shipping, revoking and activating a terminal, as transactions:
                repositories in, results and queued messages out

May import: bot.review (its four-eyes rule, for shipping), storage/, bot's low-level
modules (notify, i18n, lifecycle, settings). Never handlers/, scheduler/, telegram or
bot/app.py (tests/test_layers.py).
"""
