"""Reports: the merchant's money in chat, read top to bottom.

- `settlement.py`: business days in the merchant's time zone, the daily settlement arithmetic
  and its rendering (pure functions plus the queries that feed them).
- `charts.py`: the 7-day chart (PNG) and the day's details (CSV), pure.
- `service.py`: the use cases behind /today, /summary, /week and /settings: whose shops,
  a day's summary, the push settings.
- `transactions_import.py`: the POS transactions coming in (CSV import, shared with the
  ingest API's row checks).

May import storage/ and bot's low-level modules; never handlers/, scheduler/, telegram or
bot.context (tests/test_layers.py).
"""
