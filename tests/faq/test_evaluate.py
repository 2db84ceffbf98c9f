"""The evaluation report, and the floors the dev set must keep."""

from __future__ import annotations

from pathlib import Path

import pytest

from faq.cli import HELD_OUT_SETS
from faq.evaluate import evaluate, format_report
from faq.retrieval import FaqIndex


def test_dev_set_keeps_high_accuracy_and_abstains_on_every_off_topic_question(
    index: FaqIndex, dev_questions: Path
) -> None:
    report = evaluate(index, dev_questions)
    # Measured 56/56, later 81/82 (98.8%), 82/82 in the ninth round; the floor allows one miss.
    assert report.top1_accuracy >= 0.98, format_report(report)
    assert report.abstention_recall == 1.0, format_report(report)


def test_report_counts_hits_misses_and_abstentions(index: FaqIndex, tmp_path: Path) -> None:
    questions = tmp_path / "questions.yaml"
    questions.write_text(
        '- {q: "申请码丢了怎么办", lang: zh, expect: code.lost}\n'
        '- {q: "How do I activate the terminal?", lang: en, expect: code.lost}\n'
        '- {q: "今天天气怎么样", lang: zh, expect: null}\n'
        '- {q: "Where can I see my payments?", lang: en, expect: null}\n',
        encoding="utf-8",
    )
    report = evaluate(index, questions)
    assert (report.answerable, report.correct, report.off_topic) == (2, 1, 2)
    assert report.top1_accuracy == 0.5
    assert report.abstention_recall == 0.5
    assert report.abstention_precision == 1.0
    assert [m.question for m in report.misses] == [
        "How do I activate the terminal?",
        "Where can I see my payments?",
    ]
    text = format_report(report)
    assert "50.0%  (1/2 answerable questions)" in text
    assert "expected code.lost, got device.activate" in text
    assert "expected abstain, got transactions.query" in text


# Each held-out set (faq/eval/, written by a separate session from the topic list, never
# trained or tuned on) and the share it must keep: (top-1 on answerable questions, off-topic
# questions abstained), one question below what the eighteenth round measured (BENCHMARKS.md).
# heldout13, 19 and 20 were held out from earlier rounds; 21-24 were written at the start of
# the eighteenth and first measured on its topic classifier; 29, 30 and 31 were written at its
# end and measured once on its final code. (25-28, written between, were measured once each and
# then became training data: faq/train/README.md.)
FLOORS = {
    "heldout13": (0.98, 0.96),  # 175/176, 30/30
    "heldout19": (0.98, 0.96),  # 179/180, 33/33
    "heldout20": (0.97, 0.93),  # 179/182, 30/31
    "heldout21": (0.99, 0.96),  # 154/154, 30/30
    "heldout22": (0.98, 0.93),  # 152/154, 29/30
    "heldout23": (0.98, 0.96),  # 152/154, 29/29
    "heldout24": (0.98, 0.96),  # 151/153, 29/29
    "heldout29": (0.98, 0.89),  # 173/175, 27/29
    "heldout30": (0.98, 0.86),  # 166/168, 27/30
    "heldout31": (0.92, 0.96),  # 141/152, 26/26 (symptoms, not topic names: below the target)
}


def test_every_held_out_set_has_a_floor() -> None:
    assert sorted(path.stem for path in HELD_OUT_SETS) == sorted(FLOORS)


@pytest.mark.parametrize("path", HELD_OUT_SETS, ids=lambda path: path.stem)
def test_held_out_set_keeps_its_floor(index: FaqIndex, path: Path) -> None:
    report = evaluate(index, path)
    top1, off_topic = FLOORS[path.stem]
    assert report.top1_accuracy >= top1, format_report(report)
    assert report.abstention_recall >= off_topic, format_report(report)


def test_the_held_out_sets_together_meet_the_issue_targets(index: FaqIndex) -> None:
    # Issue 16: top-1 >= 0.95 on in-domain questions, >= 0.90 of off-topic ones abstained.
    # Eighteenth round, with the topic classifier: 1622/1648 (98.4%), 290/297 (97.6%). The
    # same sets on the seventeenth round's BM25 and abstention model: 1508/1648 (91.5%).
    reports = [evaluate(index, path) for path in HELD_OUT_SETS]
    correct = sum(r.correct for r in reports)
    answerable = sum(r.answerable for r in reports)
    abstained = sum(r.abstained_off_topic for r in reports)
    off_topic = sum(r.off_topic for r in reports)
    assert correct / answerable >= 0.95, (correct, answerable)
    assert abstained / off_topic >= 0.90, (abstained, off_topic)
