"""Support tickets, one folder: read rules.py, then service.py, staff.py, sla.py.

- rules.py: statuses, ticket numbers, SLA targets (pure).
- texts.py: the ticket as staff and merchants read it (templates, no Telegram).
- relay.py: merchants' follow-ups queued for staff in batches.
- service.py: the merchant side of the ticket state machine (a message coming in, a ticket
  opened, follow-ups, closing, rating) and how a ticket's messages are queued. Each function
  takes the open Repositories, changes the ticket, audits it and queues the messages it
  causes (kinds.py names them). A merchant's message is one call, `take_message` (or
  `to_ticket` after they picked a ticket): storage/ticket_drafts.py `incoming` says where it
  goes, storage/tickets.py `follow_up` records it, and the result (`Taken`) is what
  handlers/support_views.py shows.
- staff.py: the staff side (replies, notes, take / pending / resolve, escalation).
- sla.py: the clock (reminders, escalations, auto-close) and replies that bounced.

May import: bot's low-level modules (settings, i18n, masking, notify, context), storage.
Never handlers/, scheduler/, telegram or bot.app.
"""
