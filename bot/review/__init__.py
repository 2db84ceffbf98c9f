"""Review: staff take, approve or reject a submitted application, as one folder.

- kinds.py      the outbox message kinds review queues
- card.py       an application's card as facts (`review_card`), read in one place, so
                handlers/review_views.py draws it in one render
- service.py    four eyes (nobody acts on an application they submitted), take, approve,
                reject and the rejection being put together, as transactions: repositories
                in, results and queued messages out (a rejection queues its fields by key;
                the sender names them in the merchant's language)

Approve on the card is one call, `press_card` (repositories and the settings in, a `Pressed`
out: how the press came out, and the card's facts as it left them): storage/applications.py
`approve` (taking it on the way), storage/merchants.py `open_for` (the merchant number and
shop), then the approval message and fulfilment's `hand_over` (bot/fulfilment/: code,
voucher, agreement) queued in the outbox as ids and plain values, then `review_card`;
handlers/senders.py draws the messages in the merchant's language when it sends.
May import: bot.fulfilment, storage/, bot's low-level modules. Never handlers/, scheduler/,
telegram or bot/app.py (tests/test_layers.py).
"""
