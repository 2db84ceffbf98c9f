"""Support tickets, one folder: read rules.py, then service.py.

- rules.py: statuses, ticket numbers, SLA targets (pure).
- texts.py: the ticket as staff and merchants read it (templates, no Telegram).
- relay.py: merchants' follow-ups queued for staff in batches.
- service.py: the ticket state machine; each function takes the open Repositories, changes
  the ticket, audits it and queues the messages it causes (kinds.py names them).

May import: bot's low-level modules (settings, i18n, masking, notify, context), storage.
Never handlers/, scheduler/, telegram or bot.app.
"""
