"""After-commit notification that a run has new events, for live observers.

The event log is the truth; a notification only says "look again". Listeners
(the Channels layer, in-process watchers) register here so the engine never
imports the apps that observe it. A lost notification costs latency, never data.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.db import transaction

logger = logging.getLogger(__name__)

Listener = Callable[[str, int], None]
_listeners: list[Listener] = []


def subscribe(listener: Listener) -> None:
    if listener not in _listeners:
        _listeners.append(listener)


def unsubscribe(listener: Listener) -> None:
    if listener in _listeners:
        _listeners.remove(listener)


def run_changed(run_id: Any, last_event_id: int) -> None:
    if not _listeners:
        return
    transaction.on_commit(lambda: _deliver(str(run_id), last_event_id))


def _deliver(run_id: str, last_event_id: int) -> None:
    for listener in list(_listeners):
        try:
            listener(run_id, last_event_id)
        except Exception:  # an observer must never break the engine
            logger.exception("run notification listener %r failed", listener)
