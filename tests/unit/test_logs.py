"""The INFO console: the bot's own lines, and other libraries' only when they matter."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from bot.logs import configure_logging


@pytest.fixture
def console(capsys: pytest.CaptureFixture[str]) -> Iterator[pytest.CaptureFixture[str]]:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    yield capsys
    root.handlers[:], level = saved
    root.setLevel(level)


def test_third_party_debug_and_info_stay_out_of_the_info_console(console) -> None:
    configure_logging("INFO")
    # What bm25s does when it is imported, after logging was configured.
    logging.getLogger("bm25s").setLevel(logging.DEBUG)
    logging.getLogger("bm25s").debug("Building index from IDs objects")
    logging.getLogger("bm25s").info("tokenizing")
    logging.getLogger("apscheduler.scheduler").info('Added job "daily-summaries"')
    logging.getLogger("httpx").info("HTTP Request: POST http://127.0.0.1/bot1:x/getUpdates")
    logging.getLogger("telegram.ext.Application").info("Application started")
    logging.getLogger("bot.app").info("bot @merchant_pos_bot ready")
    logging.getLogger("telegram.ext.Updater").warning("network is slow")
    err = console.readouterr().err
    assert err.count("\n") == 2, err
    assert "bot @merchant_pos_bot ready" in err and "network is slow" in err


def test_debug_level_shows_third_party_detail_too(console) -> None:
    configure_logging("DEBUG")
    logging.getLogger("telegram.ext.Application").info("Application started")
    logging.getLogger("bot.polling").debug("fetched 3 updates")
    err = console.readouterr().err
    assert "Application started" in err and "fetched 3 updates" in err
