"""Fault injection rules: make upcoming Bot API calls fail like an overloaded Telegram."""

from __future__ import annotations

from dataclasses import dataclass
from http import HTTPStatus

from sandbox.params import ApiError

__all__ = ["Fault", "FaultQueue"]


@dataclass
class Fault:
    """The next ``remaining`` calls to matching methods fail with ``status``."""

    remaining: int
    status: int
    retry_after: int
    methods: frozenset[str] | None

    def matches(self, method: str) -> bool:
        """Whether this rule applies to a (lowercased) method name."""
        if self.methods is None:
            return method != "getupdates"  # polling is only broken when asked for explicitly
        return method in self.methods

    def error(self) -> ApiError:
        """The error response Telegram would send."""
        if self.status == 429:
            description = f"Too Many Requests: retry after {self.retry_after}"
            return ApiError(429, description, retry_after=self.retry_after)
        try:
            phrase = HTTPStatus(self.status).phrase
        except ValueError:
            phrase = "Error"
        return ApiError(self.status, phrase)


class FaultQueue:
    """Pending fault rules, consumed in the order they were added."""

    def __init__(self) -> None:
        self._rules: list[Fault] = []

    def add(self, n: int, status: int, retry_after: int, methods: set[str] | None) -> None:
        """Queue a rule for the next ``n`` matching calls."""
        names = frozenset(m.lower() for m in methods) if methods is not None else None
        self._rules.append(Fault(n, status, retry_after, names))

    def take(self, method: str) -> ApiError | None:
        """The error for this call if a rule matches (using one of its ``n``), else None."""
        rule = next((r for r in self._rules if r.remaining > 0 and r.matches(method)), None)
        if rule is None:
            return None
        rule.remaining -= 1
        self._rules = [r for r in self._rules if r.remaining > 0]
        return rule.error()
