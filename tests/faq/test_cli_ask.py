"""`merchant-bot faq ask --json`: the chat's decision, machine-readable."""

from __future__ import annotations

import json

import pytest

from bot.__main__ import main


def _ask(capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    assert main(["faq", "ask", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_ask_prints_the_answer_and_scored_candidates(capsys: pytest.CaptureFixture[str]) -> None:
    out = _ask(capsys, "收到机器以后怎么激活")
    assert out["answer"] == "device.activate"
    assert out["candidates"][0]["id"] == "device.activate"
    scores = [c["score"] for c in out["candidates"]]
    assert scores == sorted(scores, reverse=True)


def test_ask_abstains_on_off_topic_questions(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        _ask(capsys, "what is the weather in Hangzhou tomorrow", "--lang", "en")["answer"] is None
    )
    assert _ask(capsys, "给我讲个笑话")["answer"] is None
