"""Measure the answerer on a question set: `merchant-bot faq eval [FILE]`."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from faq.knowledge import read_yaml
from faq.retrieval import FaqIndex

_HINTS = {"zh": "zh-CN", "en": "en"}


class EvalQuestion(BaseModel):
    """One line of a question set: the question and the topic that should answer it."""

    q: str
    lang: Literal["zh", "en"]
    expect: str | None  # None: the bot must abstain and offer support


class EvalMiss(BaseModel):
    """A question the index got wrong, with what it did instead."""

    question: str
    expected: str | None
    answered: str | None  # the confident entry id, None when it abstained
    best_candidate: str | None
    score: float
    reason: str


class EvalReport(BaseModel):
    """Top-1 accuracy on answerable questions and abstention quality on the rest."""

    model_config = ConfigDict(frozen=True)

    answerable: int
    correct: int  # answered confidently with the expected entry
    ranked_first: int  # expected entry ranked first, confident or not
    off_topic: int
    abstained: int  # abstentions over the whole set
    abstained_off_topic: int  # abstentions on questions that expect none
    misses: list[EvalMiss] = Field(default_factory=list)

    @property
    def top1_accuracy(self) -> float:
        """Share of answerable questions answered confidently and correctly."""
        return self.correct / self.answerable if self.answerable else 0.0

    @property
    def abstention_precision(self) -> float:
        """Share of abstentions that were right to abstain."""
        return self.abstained_off_topic / self.abstained if self.abstained else 1.0

    @property
    def abstention_recall(self) -> float:
        """Share of off-topic questions that abstained."""
        return self.abstained_off_topic / self.off_topic if self.off_topic else 1.0


def load_questions(path: Path) -> list[EvalQuestion]:
    """Read a question set in the dev-questions.yaml format."""
    items = read_yaml(path) or []
    return [EvalQuestion.model_validate(item) for item in items]


def evaluate(index: FaqIndex, questions_path: Path) -> EvalReport:
    """Ask every question of the file and score the answers."""
    questions = load_questions(questions_path)
    correct = ranked_first = abstained = abstained_off_topic = 0
    misses: list[EvalMiss] = []
    for item in questions:
        answer = index.ask(item.q, locale_hint=_HINTS[item.lang])
        answered = answer.entry.id if answer.entry else None
        best = answer.candidates[0].id if answer.candidates else None
        abstained += answered is None
        if item.expect is None:
            abstained_off_topic += answered is None
        else:
            ranked_first += best == item.expect
            correct += answered == item.expect
        if answered != item.expect:
            misses.append(
                EvalMiss(
                    question=item.q,
                    expected=item.expect,
                    answered=answered,
                    best_candidate=best,
                    score=round(answer.score, 3),
                    reason=answer.reason,
                )
            )
    answerable = sum(item.expect is not None for item in questions)
    return EvalReport(
        answerable=answerable,
        correct=correct,
        ranked_first=ranked_first,
        off_topic=len(questions) - answerable,
        abstained=abstained,
        abstained_off_topic=abstained_off_topic,
        misses=misses,
    )


def format_report(report: EvalReport) -> str:
    """A short plain-text report for the terminal."""
    lines = [
        f"top-1 accuracy:       {_share(report.correct, report.answerable)}  "
        f"({report.correct}/{report.answerable} answerable questions)",
        f"ranked first:         {_share(report.ranked_first, report.answerable)}  "
        f"(right topic on top, confident or not)",
        f"abstention recall:    {_share(report.abstained_off_topic, report.off_topic)}  "
        f"({report.abstained_off_topic}/{report.off_topic} off-topic questions abstained)",
        f"abstention precision: {_share(report.abstained_off_topic, report.abstained)}  "
        f"({report.abstained_off_topic}/{report.abstained} abstentions were off-topic)",
    ]
    if report.misses:
        lines.append(f"misses ({len(report.misses)}):")
        for miss in report.misses:
            lines.append(
                f"  {miss.question!r}: expected {miss.expected or 'abstain'}, "
                f"got {miss.answered or 'abstain'} "
                f"(best {miss.best_candidate or '-'}, score {miss.score:.2f}, {miss.reason})"
            )
    return "\n".join(lines)


def _share(part: int, whole: int) -> str:
    return f"{part / whole:6.1%}" if whole else "     -"
