"""SQLite only: copy the write-ahead log back into the database off the steps' path.

A commit appends the pages it changed to the WAL, and SQLite copies them back
(a checkpoint) once the WAL reaches ``wal_autocheckpoint`` pages, inside the
commit that crossed the line: that step then took 30 ms instead of 0.4. A WAL
that long also makes every commit slower. So the ticker (a thread in every
worker process) checkpoints once a second: PASSIVE, which waits for no reader
or writer, so no step waits for it, and the WAL starts over from its beginning
once everything in it has been copied. The automatic checkpoint stays as the
fallback for a database no ticker runs against.
"""

from __future__ import annotations

import time

from django.db import connection

EVERY_SECONDS = 1.0


class Checkpointer:
    """Called on every tick; checkpoints at most once per ``every`` seconds."""

    def __init__(self, every: float = EVERY_SECONDS) -> None:
        self.every = every
        self._last = time.monotonic()

    def __call__(self) -> tuple[int, int, int] | None:
        """Checkpoint if ``every`` seconds have passed since the last; nothing on PostgreSQL.

        Returns SQLite's answer: whether it was busy (another ticker was
        checkpointing), the pages in the WAL, and how many of them are copied.
        """
        if connection.vendor != "sqlite" or time.monotonic() - self._last < self.every:
            return None
        self._last = time.monotonic()
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
            busy, pages, copied = cursor.fetchone()
        return busy, pages, copied
