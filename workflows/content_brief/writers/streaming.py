"""Batch streamed tokens into progress events.

A model streams a token every few milliseconds; one event per token would be
one transaction per token. Batching by time keeps watchers live (a batch at
least every ``interval`` seconds) at a fraction of the writes.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class TokenBatcher:
    def __init__(self, publish: Callable[[str], None], *, interval: float = 0.15) -> None:
        self.publish = publish
        self.interval = interval
        self.parts: list[str] = []
        self.sent_at = time.monotonic()

    def __call__(self, token: str) -> None:
        self.parts.append(token)
        if time.monotonic() - self.sent_at >= self.interval:
            self.flush()

    def flush(self) -> None:
        if self.parts:
            self.publish("".join(self.parts))
            self.parts = []
        self.sent_at = time.monotonic()

    def __enter__(self) -> TokenBatcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.flush()
