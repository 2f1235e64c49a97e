"""django-q2's ORM broker, woken by an enqueue instead of waiting out its poll.

The stock ORM broker sleeps ``HANDOFF_ORM_POLL`` (50 ms) whenever the queue is
empty, so a resumed run waited 25 ms on average before a worker saw its step.
Here the process that enqueues writes a fresh stamp to a small file once its
transaction commits (``queue.wake_workers``), and an idle cluster reads that
file every ``WAKE_TICK_SECONDS``: a new stamp ends the wait at once. Reading 8
bytes is the whole cost of a tick, and only enqueues change the stamp, so a
busy database does not wake an idle cluster. The poll stays as the fallback:
work enqueued from a process that cannot reach the file (another host's
``HANDOFF_VAR_DIR``) is found by the next poll, as before.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone
from django_q.brokers.orm import ORM
from django_q.conf import Conf

WAKE_TICK_SECONDS = 0.002
STAMP_BYTES = 8


def wake_file() -> Path:
    """The stamp file of this queue; one per cluster name, beside the app's other files."""
    return Path(settings.VAR_DIR) / f"queue-{Conf.CLUSTER_NAME}.wake"


def stamp() -> None:
    """Tell an idle cluster on this host that work was enqueued (after the commit)."""
    path = wake_file()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        os.pwrite(fd, time.monotonic_ns().to_bytes(STAMP_BYTES, "little"), 0)
    finally:
        os.close(fd)


class Stamp:
    """Reads the stamp file; ``wait`` returns as soon as it differs from a reading."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def read(self) -> bytes:
        if self._fd is None:
            try:
                self._fd = os.open(self.path, os.O_RDONLY)
            except FileNotFoundError:
                return b""
        return os.pread(self._fd, STAMP_BYTES, 0)

    def wait(self, since: bytes, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            time.sleep(WAKE_TICK_SECONDS)
            if self.read() != since:
                return


class WakingORM(ORM):  # type: ignore[misc]  # django-q2 ships no types
    """The ORM broker whose empty-queue wait ends when a stamp says work was enqueued."""

    def __init__(self, list_key: str | None = None) -> None:
        super().__init__(list_key=list_key)
        self._stamp = Stamp(wake_file())

    def dequeue(self) -> list[tuple[Any, Any]] | None:
        """As ``ORM.dequeue``; the stamp is read before the query so no enqueue slips by."""
        seen = self._stamp.read()
        tasks = list(
            self.get_connection().filter(key=self.list_key, lock__lt=timezone.now())[: Conf.BULK]
        )
        if not tasks:
            self._stamp.wait(seen, Conf.POLL)
            return None
        taken = []
        for task in tasks:
            locked = (
                self.get_connection()
                .filter(id=task.id, lock=task.lock)
                .update(lock=self.timeout(task))
            )
            if locked:  # else another cluster took it first
                taken.append((task.pk, task.payload))
        return taken
