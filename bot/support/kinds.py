"""The outbox message kinds support queues; handlers/senders.py says how each is sent."""

TICKET_CARD = "ticket_card"  # a ticket's card in a staff chat: {"ticket_id"}
TICKET_POST = "ticket_post"  # a relayed message, reminder or notice under the card
TICKET_BATCH = "ticket_batch"  # a merchant's follow-ups, combined: {"ticket_id", "reopened"}
COPY = "copy"  # a photo or document copied between a merchant and a staff chat
