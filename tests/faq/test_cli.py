"""`merchant-bot faq check` and `faq eval` print a result and return an exit code."""

from __future__ import annotations

from pathlib import Path

import pytest

from faq.cli import HELD_OUT_SETS, run_check, run_eval
from faq.evaluate import load_questions
from tests.faq.conftest import classifier_without


def test_check_passes_on_the_shipped_knowledge_base(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_check() == 0
    assert "knowledge base OK" in capsys.readouterr().out


def test_eval_prints_the_report_for_an_explicit_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    questions = tmp_path / "q.yaml"
    questions.write_text('- {q: "怎么联系客服", lang: zh, expect: support.contact}\n', "utf-8")
    assert run_eval(questions) == 0
    assert "100.0%  (1/1 answerable questions)" in capsys.readouterr().out


def test_eval_on_a_missing_file_fails_with_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_eval(tmp_path / "nope.yaml") == 1
    assert "question file not found" in capsys.readouterr().out


def test_eval_on_a_malformed_file_fails_with_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    questions = tmp_path / "q.yaml"
    questions.write_text('- {q: "hello", lang: fr, expect: null}\n', "utf-8")
    assert run_eval(questions) == 1
    assert "cannot read" in capsys.readouterr().out


def test_eval_by_default_prints_every_held_out_set_and_all_of_them_together(
    capsys: pytest.CaptureFixture[str],
) -> None:
    questions = [q for path in HELD_OUT_SETS for q in load_questions(path)]
    answerable = sum(q.expect is not None for q in questions)
    off_topic = len(questions) - answerable
    assert run_eval(None) == 0
    out = capsys.readouterr().out
    assert all(path.name in out for path in HELD_OUT_SETS)
    together = out.split(f"the {len(HELD_OUT_SETS)} held-out sets together")[1]
    assert "top-1 accuracy:" in together and f"/{answerable})" in together
    assert "abstention recall:" in together and f"/{off_topic})" in together


def test_check_flags_an_entry_the_topic_classifier_was_not_trained_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import faq.cli

    older = classifier_without("device.lost")
    path = tmp_path / "classifier.npz"
    older.save(path)
    monkeypatch.setattr(faq.cli, "CLASSIFIER_PATH", path)
    assert run_check() == 1
    out = capsys.readouterr().out
    assert "does not know device.lost: run merchant-bot faq calibrate" in out
