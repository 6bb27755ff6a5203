"""Engine errors: raised when a request cannot be answered (no NaN, no silent fallback)."""

from __future__ import annotations


class InfeasibleError(ValueError):
    """No strategy fits, or the given one is impossible. `reason` is one user-facing line."""

    def __init__(self, reason: str, details: list[str] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.details: list[str] = list(details or [])
