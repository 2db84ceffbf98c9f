"""The outbox message kinds fulfilment queues; handlers/senders.py says how each is sent."""

# The code's QR voucher, drawn at send time from the encrypted store, in the merchant's
# language: {"application_id"} ("locale" in rows queued before); the code never sits in the
# outbox.
VOUCHER = "voucher"
# The service agreement to sign, drawn at send time in the merchant's language with its
# "I agree and sign" button naming the exact text shown: {"application_id"}.
AGREEMENT = "agreement"
