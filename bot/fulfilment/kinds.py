"""The outbox message kinds fulfilment queues; handlers/senders.py says how each is sent."""

# The code's QR voucher, drawn at send time from the encrypted store:
# {"application_id", "locale"}; the code itself never sits in the outbox.
VOUCHER = "voucher"
