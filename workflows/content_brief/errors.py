"""The one exception every content-brief provider raises.

A workflow step only has to decide two things when a provider fails: what to
tell the reviewer, and whether trying again could help. ``message`` and
``retryable`` carry exactly that, so callers never need to know which library
(httpx, openai, ...) sat underneath.
"""

from __future__ import annotations


class ProviderError(Exception):
    """A provider could not do its job; ``message`` is written for a non-technical reader."""

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, retryable={self.retryable})"


def retryable_status(status: int) -> bool:
    """Server trouble and rate limits pass with time; other 4xx answers will not change."""
    return status >= 500 or status in (408, 425, 429)
