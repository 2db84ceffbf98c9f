"""OCR prefill of the application: read the licence and the ID card, propose what they say.

- fields.py  pure rules: recognised lines -> validated field values
- layout.py  where a line sits on the page: a label's value beside it, its continuation below
- engine.py  the OCR engine inside the worker process
- reader.py  the bot's side: a lazily started process pool with a time limit per image
"""

from bot.ocr.reader import DocumentReader

__all__ = ["DocumentReader"]
