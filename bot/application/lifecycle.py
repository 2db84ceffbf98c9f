"""The application's states and the only transitions between them.

资料审核 → 签订合同 → 邮寄POS机 → 激活使用, as the seed guide describes the process.
"""

from __future__ import annotations

from enum import StrEnum


class State(StrEnum):
    """Where an application is."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    UNDER_REVIEW = "under_review"
    APPROVED = "approved"
    REJECTED = "rejected"
    AGREEMENT_SIGNED = "agreement_signed"
    SHIPPED = "shipped"
    ACTIVATED = "activated"
    CANCELLED = "cancelled"


_BEFORE_SHIPPING = {
    State.DRAFT,
    State.SUBMITTED,
    State.UNDER_REVIEW,
    State.APPROVED,
    State.REJECTED,
    State.AGREEMENT_SIGNED,
}

TRANSITIONS: dict[State, frozenset[State]] = {
    State.DRAFT: frozenset({State.SUBMITTED}),
    State.SUBMITTED: frozenset({State.UNDER_REVIEW}),
    State.UNDER_REVIEW: frozenset({State.APPROVED, State.REJECTED}),
    State.REJECTED: frozenset({State.SUBMITTED}),
    State.APPROVED: frozenset({State.AGREEMENT_SIGNED}),
    State.AGREEMENT_SIGNED: frozenset({State.SHIPPED}),
    State.SHIPPED: frozenset({State.ACTIVATED}),
    State.ACTIVATED: frozenset(),
    State.CANCELLED: frozenset(),
}
# Any state before shipping may be cancelled.
TRANSITIONS = {
    s: t | {State.CANCELLED} if s in _BEFORE_SHIPPING else t for s, t in TRANSITIONS.items()
}

# The merchant-facing order of milestones, for the /status timeline.
MILESTONES: tuple[State, ...] = (
    State.SUBMITTED,
    State.UNDER_REVIEW,
    State.APPROVED,
    State.AGREEMENT_SIGNED,
    State.SHIPPED,
    State.ACTIVATED,
)


class IllegalTransition(Exception):
    """The application is not in a state that allows this change."""

    def __init__(self, current: str, wanted: str) -> None:
        super().__init__(f"{current} -> {wanted} is not allowed")
        self.current = current
        self.wanted = wanted


def check(current: str, wanted: str) -> None:
    """Raise IllegalTransition unless `current -> wanted` is allowed."""
    if State(wanted) not in TRANSITIONS[State(current)]:
        raise IllegalTransition(current, wanted)
