"""Nothing a merchant typed is lost when the bot process is killed at random moments."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from bot.application.form import QUESTIONS, SKIPPED
from tests.e2e.files import png
from tests.postgres import on_both_backends
from tests.reliability.crash import FIRST_MERCHANT, Drill, run_drill, stored_answers

MERCHANTS = 10  # bench/crash.py runs the full 50


@on_both_backends
@pytest.mark.timeout(300)
async def test_form_survives_sigkill_and_restarts(tmp_path: Path, make_settings) -> None:
    where = make_settings().database  # a SQLite file's path, or a fresh PostgreSQL database
    url = where if isinstance(where, str) else None
    drill = Drill(data_dir=tmp_path, merchants=MERCHANTS, kills=4, database_url=url)
    figures = await run_drill(drill)
    assert figures["restarts"] >= 2, figures  # the bot really was killed mid-conversation

    stored = await stored_answers(tmp_path, MERCHANTS, url)
    for index, answers in enumerate(stored.values()):
        assert answers is not None, f"merchant {FIRST_MERCHANT + index} has no application"
        assert set(answers) == {q.key for q in QUESTIONS}
        assert answers["merchant_name"] == f"杭州西湖第{index}号便利店"
        assert answers["credit_code"] == "91350100M000100Y43"
        assert answers["legal_rep_id"] == "11010519491231002X"
        assert answers["account_number"] == "4111111111111111"
        assert answers["address"] == "浙江省杭州市西湖区文三路100号"
        assert answers["storefront"] == SKIPPED
        assert answers["licence"] == hashlib.sha256(png(1)).hexdigest()
        assert answers["id_back"] == hashlib.sha256(png(3)).hexdigest()
