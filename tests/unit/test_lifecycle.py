"""The state machine refuses every transition the process does not allow."""

from __future__ import annotations

import itertools

import pytest

from bot.application.lifecycle import TRANSITIONS, IllegalTransition, State, check


def test_the_happy_path_is_allowed() -> None:
    path = [
        "draft",
        "submitted",
        "under_review",
        "approved",
        "agreement_signed",
        "shipped",
        "activated",
    ]
    for a, b in itertools.pairwise(path):
        check(a, b)


def test_rejected_application_can_only_be_resubmitted_or_cancelled() -> None:
    assert TRANSITIONS[State.REJECTED] == {State.SUBMITTED, State.CANCELLED}


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("submitted", "approved"),
        ("shipped", "cancelled"),
        ("activated", "shipped"),
        ("cancelled", "submitted"),
        ("approved", "rejected"),
    ],
)
def test_illegal_transitions_are_refused(a: str, b: str) -> None:
    with pytest.raises(IllegalTransition):
        check(a, b)
