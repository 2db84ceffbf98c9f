"""The per-user rate limit's rule, with a clock the test moves."""

from __future__ import annotations

from handlers.throttle import RateLimit, Verdict


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_passes_then_one_notice_then_silence() -> None:
    clock = Clock()
    limit = RateLimit(burst=5, rate=0.5, notice_every=60, clock=clock)
    verdicts = [limit.check(1) for _ in range(9)]
    assert verdicts == [Verdict.PASS] * 5 + [Verdict.NOTIFY] + [Verdict.DROP] * 3


def test_tokens_come_back_at_the_rate_and_the_notice_once_a_window() -> None:
    clock = Clock()
    limit = RateLimit(burst=2, rate=0.5, notice_every=60, clock=clock)
    assert [limit.check(1) for _ in range(3)] == [Verdict.PASS, Verdict.PASS, Verdict.NOTIFY]
    clock.now += 2  # one token back
    assert [limit.check(1) for _ in range(2)] == [Verdict.PASS, Verdict.DROP]
    clock.now += 60
    assert limit.check(1) is Verdict.PASS  # refilled
    assert [limit.check(1) for _ in range(2)] == [Verdict.PASS, Verdict.NOTIFY]


def test_users_are_counted_separately() -> None:
    limit = RateLimit(burst=1, rate=0.01, notice_every=60, clock=Clock())
    assert limit.check(1) is Verdict.PASS
    assert limit.check(2) is Verdict.PASS
    assert limit.check(1) is Verdict.NOTIFY


def test_idle_users_are_forgotten() -> None:
    clock = Clock()
    limit = RateLimit(burst=3, rate=1, notice_every=5, clock=clock)
    for user in range(999):
        limit.check(user)
    clock.now += 10
    limit.check(5000)  # the 1000th check prunes every bucket that has filled up again
    assert len(limit) == 1
