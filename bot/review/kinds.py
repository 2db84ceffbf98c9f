"""The outbox message kinds review owns; handlers/senders.py says how each is sent."""

# A submitted application's documents and card, in the review chat: {"application_id"}.
# Queued on submission (handlers/onboarding.py); refreshed by the review handlers.
REVIEW_CARD = "review_card"
