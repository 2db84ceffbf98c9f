"""Support tickets, one folder: read rules.py, then service.py, staff.py, sla.py.

- rules.py: statuses, ticket numbers, SLA targets (pure), and `Policy`: support's settings
  read once (support and escalation chats, reopen window, batch window, response targets,
  whether merchants see staff names, default language). Handlers and the SLA job pass
  `Policy.of(settings)` to service.py, staff.py and sla.py.
- card.py: a ticket's card as facts (`ticket_card`), read in one place for one render.
- texts.py: the ticket as staff and merchants read it (templates, no Telegram), called only
  by handlers/ (answers, and drawing at send time what the services queued) and the SLA job.
- relay.py: what support queues, as ids and plain values drawn when sent in the reader's
  language: messages to the merchant and to staff chats, follow-ups in batches, copies of
  photos and documents.
- service.py, staff.py, sla.py: the use cases. Each function takes the open Repositories and
  the Policy (no BotData, no renderer), changes the ticket, audits it and queues the messages
  it causes (kinds.py names them) as kinds and plain values; none renders a text.
- service.py: the merchant side of the ticket state machine (a message coming in, a ticket
  opened, closing, rating). A merchant's message is one call, `take_message` (or `to_ticket`
  after they picked a ticket): storage/ticket_drafts.py `incoming` says where it goes,
  follow_up.py `onto_ticket` records it (storage/tickets.py `follow_up`) and queues it
  (relay.py), and the result (`Taken`, with the card's facts when the ticket is back with
  staff) is what handlers/support_views.py shows.
- follow_up.py: a merchant's message onto a ticket: a rating's comment, or a follow-up that
  wakes or reopens it (and the card's facts to redraw).
- staff.py: the staff side (replies, notes, take / pending / resolve, escalation; the
  escalation's history and a copy's caption are drawn when sent, handlers/support_views.py).
- sla.py: the clock (reminders, escalations, auto-close) and replies that bounced; the SLA
  job hands it the reason an automatic escalation records.

May import: bot's low-level modules (settings, i18n, masking, notify, context), storage.
Never handlers/, scheduler/, telegram or bot.app.
"""
