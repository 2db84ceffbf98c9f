"""Tests for bot.masking: display masks and the personal-data logging filter."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from bot.masking import (
    PersonalDataFilter,
    mask_account,
    mask_name,
    mask_phone,
    mask_resident_id,
    mask_text,
)

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


def test_resident_id_keeps_region_and_last_four() -> None:
    assert mask_resident_id("11010519491231002X") == "110105********002X"


def test_resident_id_mask_uppercases_x() -> None:
    assert mask_resident_id("11010519491231002x") == "110105********002X"


def test_card_number_keeps_first_and_last_four() -> None:
    assert mask_account("6222021234567890123") == "6222 **** **** 0123"
    assert mask_account("4111 1111 1111 1111") == "4111 **** **** 1111"


def test_short_corporate_account_hides_most_digits() -> None:
    assert mask_account("1234567890") == "**** 7890"
    assert mask_account("123456") == "**** 56"


def test_phone_in_e164_is_masked_like_chinese_apps() -> None:
    assert mask_phone("+8613800138000") == "138****8000"
    assert mask_phone("13800138000") == "138****8000"
    assert mask_phone("0086 138 0013 8000") == "138****8000"


@pytest.mark.parametrize(
    ("name", "masked"),
    [("张三", "张*"), ("张小三", "张*三"), ("欧阳小明", "欧**明"), ("买买提·艾力", "买*提·艾*")],
)
def test_name_keeps_first_and_last_character(name: str, masked: str) -> None:
    assert mask_name(name) == masked


def test_mask_text_masks_every_kind_of_personal_data() -> None:
    text = (
        "id 11010519491231002X mobile +86 138-0013-8000 card 6222 0212 3456 7890 123 "
        f"url https://api.telegram.org/bot{TOKEN}/getMe"
    )
    assert mask_text(text) == (
        "id 110105********002X mobile 138****8000 card 6222 **** **** 0123 "
        "url https://api.telegram.org/bot[token]/getMe"
    )


def test_mask_text_leaves_timestamps_short_numbers_and_supergroup_ids_alone() -> None:
    text = "2025-06-01 12:00:00,123 user 123456789 chat -1001234567890 took 42 ms"
    assert mask_text(text) == text


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("1101 0519 4912 3100 2X", "110105********002X"),
        ("１１０１０５１９４９１２３１００２Ｘ", "110105********002X"),
        ("110105.19491231.002x", "110105********002X"),
        ("4111.1111.1111.1111", "4111 **** **** 1111"),
        ("4111/1111/1111/1111", "4111 **** **** 1111"),
        ("6222 0212 3456 7890 1234 5678", "6222 **** **** 5678"),  # 24-digit corporate
        ("86 13800138000", "138****8000"),
        ("138.0013.8000", "138****8000"),
        ("ALP-M0XD8-B62CC-2P0E", "ALP-*****-*****-****"),
        ("alp m0xd8 b62cc 2p0e", "ALP-*****-*****-****"),
        ("ALPM0XD8B62CC2P0E", "ALP-*****-*****-****"),
    ],
)
def test_mask_text_catches_numbers_however_they_are_written(text: str, masked: str) -> None:
    assert mask_text(f"见 {text}。") == f"见 {masked}。"


def test_mask_text_leaves_words_that_start_like_a_code_alone() -> None:
    assert mask_text("ALPHABETICAL order, Alpine") == "ALPHABETICAL order, Alpine"


# --------------------------------------------------------------------------- logging filter


class _ListHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def captured() -> Iterator[tuple[logging.Logger, _ListHandler]]:
    logger = logging.getLogger("tests.masking")
    handler = _ListHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    handler.addFilter(PersonalDataFilter())
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    yield logger, handler
    logger.removeHandler(handler)


def test_filter_masks_personal_data_passed_as_logging_args(
    captured: tuple[logging.Logger, _ListHandler],
) -> None:
    logger, handler = captured
    logger.info(
        "merchant %s id=%s card=%d", "+8613800138000", "11010519491231002X", 6222021234567890123
    )
    assert handler.lines == [
        "INFO merchant 138****8000 id=110105********002X card=6222 **** **** 0123"
    ]


def test_filter_masks_mapping_args_and_bot_token_in_message(
    captured: tuple[logging.Logger, _ListHandler],
) -> None:
    logger, handler = captured
    logger.warning(
        f"POST https://api.telegram.org/bot{TOKEN}/sendMessage %(phone)s", {"phone": "13800138000"}
    )
    assert handler.lines == [
        "WARNING POST https://api.telegram.org/bot[token]/sendMessage 138****8000"
    ]


def test_filter_masks_exception_text(captured: tuple[logging.Logger, _ListHandler]) -> None:
    logger, handler = captured
    try:
        raise ValueError("bad id 11010519491231002X")
    except ValueError:
        logger.exception("validation failed")
    assert "11010519491231002X" not in handler.lines[0]
    assert "ValueError: bad id 110105********002X" in handler.lines[0]


def test_filter_keeps_records_and_leaves_clean_messages_unchanged(
    captured: tuple[logging.Logger, _ListHandler],
) -> None:
    logger, handler = captured
    logger.debug("update %d handled in %.1f ms", 42, 3.25)
    assert handler.lines == ["DEBUG update 42 handled in 3.2 ms"]


def test_filter_survives_a_broken_format_string() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "%d 13800138000", ("nan",), None)
    assert PersonalDataFilter().filter(record)
    assert record.msg == "%d 138****8000"
