"""Review: staff take, approve or reject a submitted application, as one folder.

- four_eyes.py  nobody acts on an application they submitted (and the audit when they try)
- kinds.py      the outbox message kinds review queues
- service.py    take, approve, reject and the rejection being put together, as transactions:
                repositories in, results and queued messages out

Approval hands the merchant over to fulfilment (bot/fulfilment/: code, voucher, agreement).
May import: bot.fulfilment, storage/, bot's low-level modules. Never handlers/, scheduler/,
telegram or bot/app.py (tests/test_layers.py).
"""
