"""The OCR engine, inside the worker process: RapidOCR (PP-OCR models shipped in the
rapidocr-onnxruntime wheel, run by onnxruntime on the CPU). Nothing is downloaded.

Only `bot.ocr.reader` calls these, through its process pool. The engine is loaded once per
worker, on one thread and at a lower priority than the bot, so a photo being read never
takes the core that answers the other merchants.
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
from typing import Any

from bot.ocr.layout import Line

# Phone photos are larger than OCR needs. On the development images 1024 and 1280 px read as
# well as 1600 (worker peak ~540 / ~750 / ~780 MB); 1280 keeps a real licence's small print
# (the credit code) above ~12 px.
MAX_SIDE = 1280

_engine: Any = None


class ReadTimeout(Exception):
    """The per-image time limit passed inside the worker."""


def _on_alarm(signum: int, frame: object) -> None:
    raise ReadTimeout


def start_worker() -> None:
    """The pool's initializer: be nice to the bot, load the models once."""
    global _engine
    with contextlib.suppress(OSError):
        os.nice(10)
    from rapidocr_onnxruntime import RapidOCR

    _engine = RapidOCR(intra_op_num_threads=1, inter_op_num_threads=1)
    signal.signal(signal.SIGALRM, _on_alarm)


def available() -> bool:
    """True if the OCR package can be imported (checked in the worker, not the bot)."""
    import importlib.util

    return importlib.util.find_spec("rapidocr_onnxruntime") is not None


def recognise(image: bytes, limit_seconds: float) -> list[Line]:
    """The text lines in a JPEG or PNG; ReadTimeout past the limit."""
    import numpy as np
    from PIL import Image, ImageOps

    signal.setitimer(signal.ITIMER_REAL, limit_seconds)
    try:
        with Image.open(io.BytesIO(image)) as opened:
            picture = ImageOps.exif_transpose(opened).convert("RGB")
        picture.thumbnail((MAX_SIDE, MAX_SIDE))
        # RapidOCR takes OpenCV's channel order.
        result, _ = _engine(np.asarray(picture)[:, :, ::-1])
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    return [
        Line(str(text), float(score), tuple((float(x), float(y)) for x, y in box))
        for box, text, score in result or ()
    ]
