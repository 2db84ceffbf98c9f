"""Review: staff take, approve or reject a submitted application, as one folder.

- kinds.py      the outbox message kinds review queues
- service.py    four eyes (nobody acts on an application they submitted), take, approve,
                reject and the rejection being put together, as transactions: repositories
                in, results and queued messages out

Approval hands the merchant over to fulfilment (bot/fulfilment/: code, voucher, agreement).
May import: bot.fulfilment, storage/, bot's low-level modules. Never handlers/, scheduler/,
telegram or bot/app.py (tests/test_layers.py).
"""
