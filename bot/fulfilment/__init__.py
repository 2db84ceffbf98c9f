"""Fulfilment: what happens to an application after approval, as one folder.

- codes.py      application codes (申请码): generation, normalisation, check symbol (pure)
- voucher.py    the printable QR voucher PNG of a code (pure)
- kinds.py      the outbox message kinds fulfilment queues
- policy.py     fulfilment's settings as its use cases need them (`Policy.of(settings)`)
- agreement.py  the service agreement: its text, its hash and signing it (the text is
                domain data, hashed as shown: its functions take the Renderer explicitly)
- handover.py   after approval: a code, its voucher and the agreement, queued in order
- service.py    shipping, revoking and activating a terminal, as transactions:
                repositories (and the Policy) in, results and queued messages out; staff
                messages are queued as templates, drawn when sent

May import: bot.review (its four-eyes rule, for shipping), storage/, bot's low-level
modules (notify, i18n, lifecycle, settings). Never handlers/, scheduler/, telegram or
bot/app.py (tests/test_layers.py).
"""
