"""The evaluation report, and the floors the dev set must keep."""

from __future__ import annotations

from pathlib import Path

import pytest

from faq.cli import (
    HELD_OUT,
    HELD_OUT_2,
    HELD_OUT_3,
    HELD_OUT_4,
    HELD_OUT_5,
    HELD_OUT_6,
    HELD_OUT_7,
    HELD_OUT_8,
    HELD_OUT_9,
    HELD_OUT_10,
    HELD_OUT_11,
    HELD_OUT_12,
    HELD_OUT_13,
    HELD_OUT_14,
    HELD_OUT_15,
    HELD_OUT_16,
    HELD_OUT_17,
    HELD_OUT_18,
    HELD_OUT_19,
    HELD_OUT_20,
)
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


# Each held-out set (written before a round, never used to fit the model) and the share it
# must keep: (top-1 on answerable questions, off-topic questions abstained). Floors against
# regressions at the figures measured in the sixteenth round (BENCHMARKS.md has every
# round's); several sets are below a target on their own. The first ten chose settings (the
# abstention's operating point, words and cue rules), so they are validation sets, not a
# blind test: the unseen sets the issue is checked on are.
FLOORS = {
    # Floors are the figures of the seventeenth round's last code; where one fell from the
    # round before (heldout4 off-topic 31 -> 30, heldout6 113 -> 112, heldout8 25 -> 24 off-topic),
    # the refitted abstention moved a question across its threshold.
    HELD_OUT: (0.97, 0.96),  # 134/137, 25/26
    HELD_OUT_2: (0.93, 0.90),  # 126/135, 27/30
    HELD_OUT_3: (0.97, 0.86),  # 114/117, 26/30
    HELD_OUT_4: (0.94, 0.88),  # 94/100, 30/34
    HELD_OUT_5: (0.95, 0.96),  # 141/147, 30/30
    HELD_OUT_6: (0.89, 0.96),  # 112/125, 24/25
    HELD_OUT_7: (0.95, 0.96),  # 130/136, 25/25
    HELD_OUT_8: (0.97, 0.96),  # 126/129, 24/25
    HELD_OUT_9: (0.96, 0.96),  # 165/171, 29/30
    # Written by a separate session and measured once on the unchanged code (166/178, 29/30);
    # the sixteenth round then read its misses, so it too is validation now.
    HELD_OUT_10: (0.96, 0.96),  # 172/178, 29/30
    # Written likewise and first measured blind (176/191, 27/30 and 166/180, 28/30): below the
    # top-1 target. The seventeenth round read their misses and chose words on them.
    HELD_OUT_11: (0.93, 0.90),  # 178/191, 27/30
    HELD_OUT_12: (0.94, 0.96),  # 170/180, 29/30
    # Written likewise at the start of the seventeenth round. heldout13 was measured blind on
    # its first code (166/179, 32/32) and once on its last; nothing was chosen on it.
    HELD_OUT_13: (0.94, 0.96),  # 169/179, 32/32 (166/179 on the round's first code)
    # Measured blind on the round's first code (162/184, 29/32); its misses then chose words.
    HELD_OUT_14: (0.92, 0.96),  # 171/184, 32/32
    # Measured blind after the round's first changes (170/185, 31/32; 165/182, 30/32), then
    # their misses chose words.
    HELD_OUT_15: (0.96, 0.96),  # 178/185, 32/32
    HELD_OUT_16: (0.94, 0.96),  # 172/182, 32/32
    # Measured blind on the code that followed (164/180, 31/32; 168/183, 29/32), then read.
    HELD_OUT_17: (0.92, 0.96),  # 167/180, 32/32
    HELD_OUT_18: (0.93, 0.96),  # 172/183, 32/32
    # Measured blind once, on the round's last code; never read.
    HELD_OUT_19: (0.92, 0.93),  # 167/181, 31/33
    HELD_OUT_20: (0.90, 0.96),  # 165/183, 31/32
}
# The ten sets that chose settings before the seventeenth round (words, cue rules, the
# abstention's operating point). Later sets chose words in the seventeenth round too (11, 12,
# 14-18), but are kept out of this sum, which records what the ten reached.
VALIDATION = [HELD_OUT, *list(FLOORS)[1:10]]  # heldout .. heldout10


@pytest.mark.parametrize("path", list(FLOORS), ids=lambda path: path.stem)
def test_held_out_set_keeps_its_floor(index: FaqIndex, path: Path) -> None:
    report = evaluate(index, path)
    top1, off_topic = FLOORS[path]
    assert report.top1_accuracy >= top1, format_report(report)
    assert report.abstention_recall >= off_topic, format_report(report)


def test_the_validation_sets_together_meet_the_issue_targets(index: FaqIndex) -> None:
    # Issue 16: top-1 >= 0.95 on in-domain questions, >= 0.90 of off-topic ones abstained.
    # Measured on the nine: 1139/1197 (95.2%), 235/255 (92.2%); on the ten after the sixteenth
    # round: 1309/1375 (95.2%), 271/285 (95.1%); after the seventeenth 1314/1375 (95.6%),
    # 269/285 (94.4%). Blind sets fall short (first measured: heldout10 93.3%, heldout11 92.1%,
    # heldout12 92.2%, heldout13 92.7%, heldout14 88.0%; on the seventeenth round's last code
    # heldout19 92.3%, heldout20 90.2%): this keeps what was reached, it does not prove the
    # target.
    reports = [evaluate(index, path) for path in VALIDATION]
    correct = sum(r.correct for r in reports)
    answerable = sum(r.answerable for r in reports)
    abstained = sum(r.abstained_off_topic for r in reports)
    off_topic = sum(r.off_topic for r in reports)
    assert correct / answerable >= 0.95, (correct, answerable)
    assert abstained / off_topic >= 0.90, (abstained, off_topic)
