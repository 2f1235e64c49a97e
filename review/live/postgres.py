"""PostgreSQL without Redis: carry "runs changed" between processes with LISTEN/NOTIFY.

The in-memory channel layer cannot leave its process, and PostgreSQL has no file
a web process could watch, so without this a worker's commit would reach
browsers only at the next poll. The database both sides already use can carry
the wake-up instead: the notifier sends one ``NOTIFY`` per throttle window (the
same batches it would hand to Redis) and each serving process keeps one
connection that ``LISTEN``s. A lost notification costs latency, never data: the
feeds read the event log, and still poll it as a safety net.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.db import connections

if TYPE_CHECKING:
    import psycopg

logger = logging.getLogger(__name__)

CHANNEL = "handoff_live"
MAX_PAYLOAD = 7900  # NOTIFY payloads must stay under 8000 bytes
RECONNECT_SECONDS = 1.0


def enabled() -> bool:
    """Whether live notifications travel through PostgreSQL (no cross-process layer)."""
    return connections["default"].vendor == "postgresql" and isinstance(
        get_channel_layer(), InMemoryChannelLayer
    )


def connection_params() -> dict[str, Any]:
    """Django's own parameters for the default database, minus its sync-only cursor."""
    params = connections["default"].get_connection_params()
    params.pop("cursor_factory", None)
    return params


def payload(runs: dict[str, int]) -> str:
    """The batch as JSON, or ``""`` ("look at every run") when it would not fit."""
    text = json.dumps(runs, separators=(",", ":"))
    return text if len(text.encode()) <= MAX_PAYLOAD else ""


def parse(text: str) -> dict[str, Any] | None:
    """The runs a notification names; ``None`` means every run may have changed."""
    if not text:
        return None
    try:
        runs = json.loads(text)
    except ValueError:
        return None
    return runs if isinstance(runs, dict) else None


def _connect() -> Awaitable[psycopg.AsyncConnection[Any]]:
    """Open an autocommit connection; psycopg is imported only where PostgreSQL is used.

    Importing it adds some 24,000 objects to every process, and each full garbage
    collection walks them: on SQLite that was a measurable stall (docs/benchmarks.md).
    """
    import psycopg

    return psycopg.AsyncConnection.connect(**connection_params(), autocommit=True)


class Publisher:
    """One autocommit connection per process, opened on first use and after a failure."""

    def __init__(self) -> None:
        self._connection: psycopg.AsyncConnection[Any] | None = None

    async def publish(self, runs: dict[str, int]) -> None:
        try:
            if self._connection is None or self._connection.closed:
                self._connection = await _connect()
            await self._connection.execute("SELECT pg_notify(%s, %s)", (CHANNEL, payload(runs)))
        except Exception:
            await self.close()
            raise

    async def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            await connection.close()


async def listen(dispatch: Callable[[dict[str, Any]], None], wake_all: Callable[[], None]) -> None:
    """Deliver every notification until cancelled, reconnecting after any failure.

    ``wake_all`` also runs each time ``LISTEN`` is in place, so whatever committed
    while the connection was down is read at once rather than at the next poll.
    """
    while True:
        try:
            async with await _connect() as connection:
                await connection.execute(f"LISTEN {CHANNEL}")
                wake_all()
                async for notification in connection.notifies():
                    runs = parse(notification.payload)
                    if runs is None:
                        wake_all()
                    else:
                        dispatch(runs)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.warning("live listener lost its PostgreSQL connection", exc_info=True)
        await asyncio.sleep(RECONNECT_SECONDS)
