"""Reading a document photo without blocking the bot: a small process pool, started on the
first photo, a time limit per image, and nothing at all when OCR is off, missing or fails.

The recognised text never leaves this module except as the validated fields of
bot.ocr.fields; it is neither logged nor stored.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import time
from collections import OrderedDict
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import date

from bot.ocr import engine
from bot.ocr.fields import read

log = logging.getLogger(__name__)

# The worker gets this much longer than the limit it enforces itself before it is killed.
GRACE_SECONDS = 2.0
READABLE = ("image/jpeg", "image/png")
# What a photo showed is kept in memory (never stored) while the merchant taps ✅: a bounded
# number of photos, each for an hour; after that (or a restart) the photo is read again.
# Photos waiting for a busy worker, per worker: past this a photo is not read (the form asks
# as without OCR) rather than keep its merchant waiting behind the others (~1 s a photo: ten
# licences uploaded at once are all read, the last in about 12 s; bench/ocr_load.py).
WAITING_PER_WORKER = 10
# The worker holds the models (hundreds of MB): it stops after this long without a photo and
# starts again (a second or two) with the next one.
IDLE_SECONDS = 600
RECENT_PHOTOS = 256
RECENT_SECONDS = 3600


class DocumentReader:
    """OCR of licence and ID card photos in a separate worker process."""

    def __init__(self, *, enabled: bool, workers: int = 1, limit_seconds: float = 10.0) -> None:
        self.enabled = enabled and engine.available()
        self.workers = workers
        self.limit_seconds = limit_seconds
        self._pool: ProcessPoolExecutor | None = None
        # One photo per worker at a time, so the time limit counts reading, not queueing.
        self._slots: tuple[asyncio.AbstractEventLoop, asyncio.Semaphore] | None = None
        self._waiting = 0
        self._last_read = 0.0
        self._recent: OrderedDict[tuple[str, str], tuple[float, dict[str, str]]] = OrderedDict()

    def recent(self, kind: str, sha256: str) -> dict[str, str] | None:
        """The fields read from this photo within the last hour, if any."""
        entry = self._recent.get((kind, sha256))
        if entry is None or time.monotonic() - entry[0] > RECENT_SECONDS:
            return None
        return dict(entry[1])

    def remember(self, kind: str, sha256: str, fields: dict[str, str]) -> None:
        """Keep what a photo showed for the merchant's taps."""
        self._recent[(kind, sha256)] = (time.monotonic(), dict(fields))
        self._recent.move_to_end((kind, sha256))
        while len(self._recent) > RECENT_PHOTOS:
            self._recent.popitem(last=False)

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # spawn, not fork: the bot has threads (a fork could copy a held lock).
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=engine.start_worker,
            )
        return self._pool

    async def fields(self, kind: str, image: bytes, mime: str, *, today: date) -> dict[str, str]:
        """The validated fields a photo of ``kind`` shows; {} when nothing could be read."""
        if not self.enabled or mime not in READABLE:
            return {}
        if self._waiting >= self.workers * WAITING_PER_WORKER:
            log.info("OCR is busy: a %s is not read", kind)
            return {}
        self._waiting += 1
        try:
            async with self._slot():
                return await self._read(kind, image, today=today)
        finally:
            self._waiting -= 1
            self._last_read = time.monotonic()
            asyncio.get_running_loop().call_later(IDLE_SECONDS, self._stop_if_idle)

    def _stop_if_idle(self) -> None:
        if self._waiting == 0 and time.monotonic() - self._last_read >= IDLE_SECONDS - 1:
            pool, self._pool = self._pool, None
            if pool is not None:
                log.info("OCR worker stopped after %ss without a photo", IDLE_SECONDS)
                pool.shutdown(wait=False)

    def _slot(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        if self._slots is None or self._slots[0] is not loop:
            self._slots = (loop, asyncio.Semaphore(self.workers))
        return self._slots[1]

    async def _read(self, kind: str, image: bytes, *, today: date) -> dict[str, str]:
        loop = asyncio.get_running_loop()
        try:
            future = loop.run_in_executor(
                self._executor(), engine.recognise, image, self.limit_seconds
            )
            lines = await asyncio.wait_for(future, self.limit_seconds + GRACE_SECONDS)
        except engine.ReadTimeout:
            log.warning("reading a %s took longer than %ss", kind, self.limit_seconds)
            return {}
        except TimeoutError:
            log.warning("the OCR worker did not answer in time; restarting it")
            self._kill()
            return {}
        except BrokenProcessPool:
            log.warning("the OCR worker died; it is restarted on the next photo")
            self._kill()
            return {}
        except Exception as exc:  # any failure of the OCR package: ask as without it
            log.warning("reading a %s failed: %s", kind, type(exc).__name__)
            return {}
        return read(kind, lines, today=today)

    def _kill(self) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        # concurrent.futures has no public way to stop a busy worker before Python 3.14.
        for process in list(getattr(pool, "_processes", {}).values()):
            process.kill()
        pool.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        """Stop the worker (at shutdown)."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    @property
    def worker_pids(self) -> list[int]:
        """The worker processes' ids (for the benchmark's memory figures)."""
        return list(getattr(self._pool, "_processes", {}) or {})
