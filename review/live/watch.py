"""Embedded mode's fast path: notice commits by other processes from the SQLite files.

Without Redis there is no cross-process channel layer, so a web process learns
of a worker's commit only by reading the database. Every SQLite commit in WAL
mode appends to the ``-wal`` file (and a checkpoint rewrites the main file), so
a ``stat`` of both every few milliseconds tells "something committed" for the
price of two system calls, and the feeds then run their indexed reads. A false
alarm costs one read; a missed one is covered by the feeds' own poll.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable

from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.conf import settings
from django.db import connection

Signature = tuple[tuple[int, int], ...]


def watched_files() -> list[str]:
    """The SQLite files to watch, or none when another process can notify us."""
    if connection.vendor != "sqlite":
        return []
    if not isinstance(get_channel_layer(), InMemoryChannelLayer):
        return []
    name = str(settings.DATABASES["default"]["NAME"])
    if not name or name == ":memory:" or name.startswith("file:"):
        return []
    return [name, f"{name}-wal"]


def signature(paths: list[str]) -> Signature:
    found = []
    for path in paths:
        try:
            status = os.stat(path)
        except OSError:
            found.append((0, 0))
        else:
            found.append((status.st_mtime_ns, status.st_size))
    return tuple(found)


async def watch(paths: list[str], on_change: Callable[[], None]) -> None:
    interval = float(settings.HANDOFF_LIVE_WATCH_SECONDS)
    last = signature(paths)
    while True:
        await asyncio.sleep(interval)
        current = signature(paths)
        if current != last:
            last = current
            on_change()
