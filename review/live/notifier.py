"""After a transition commits, wake the live feeds through the Channels layer.

Registered with ``workflows.engine.notify`` by ``ReviewConfig.ready``, so it runs
in whichever process committed: a worker, the web server, a shell. It must be
cheap and must never block or raise on the engine's hot path, so it only records
``run_id -> last_event_id`` and hands the sending to an event loop:

- a cross-process layer (channels-redis, when ``REDIS_URL`` is set) is used from a
  private event loop in a daemon thread, started lazily once per process (forked
  workers get their own), so its connections are reused between notifications;
- on PostgreSQL without Redis, the same batches go out as ``NOTIFY`` from that
  private loop (``review.live.postgres``), and the serving processes ``LISTEN``;
- the in-memory layer on SQLite exists only inside one process, so a
  notification can only matter where websockets are served: it is sent on that
  process's serving loop (registered by the feeds) and skipped everywhere else.
  The web process notices workers' commits by watching the SQLite files.

Notifications are throttled: the first change after a quiet spell is sent at
once, and the changes that follow within ``WINDOW_SECONDS`` go out together as
one message listing every run that changed, to one group. A quiet run is
reported with no delay; a busy cluster costs one channel-layer send per window,
not one per transition and run (measured in docs/benchmarks.md).
A lost one costs latency, never data: the feeds read the event log, and poll it
as a safety net.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from typing import Any

from channels.layers import InMemoryChannelLayer, get_channel_layer

from review.live import postgres
from review.live.groups import LIVE_GROUP, RUNS_CHANGED

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 0.025


class Notifier:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: dict[str, int] = {}
        self._scheduled = False
        self._private_loop: asyncio.AbstractEventLoop | None = None
        self._private_pid = 0
        self._serving_loop: asyncio.AbstractEventLoop | None = None
        self._last_sent = 0.0
        self._publisher = postgres.Publisher()

    def serve_on(self, loop: asyncio.AbstractEventLoop) -> None:
        """Called by the feeds: this process serves websockets on ``loop``."""
        self._serving_loop = loop

    def __call__(self, run_id: str, last_event_id: int) -> None:
        try:
            layer = get_channel_layer()
            if layer is None:
                return
            via_postgres = postgres.enabled()
            loop = self._loop_for(layer, via_postgres=via_postgres)
            if loop is None:
                return
            with self._lock:
                self._pending[run_id] = max(last_event_id, self._pending.get(run_id, 0))
                if self._scheduled:
                    return
                self._scheduled = True
                delay = max(0.0, self._last_sent + WINDOW_SECONDS - time.monotonic())
            flush = self._flush_after(layer, delay, via_postgres=via_postgres)
            asyncio.run_coroutine_threadsafe(flush, loop)
        except Exception:  # never let observation break a transition
            logger.warning("could not schedule a live notification", exc_info=True)
            with self._lock:
                self._scheduled = False

    def close(self) -> None:
        """Close this process's PostgreSQL connection, if it has one (it reopens on use)."""
        loop = self._private_loop
        if loop is not None and loop.is_running() and self._private_pid == os.getpid():
            asyncio.run_coroutine_threadsafe(self._publisher.close(), loop).result(timeout=5)

    def _loop_for(self, layer: Any, *, via_postgres: bool) -> asyncio.AbstractEventLoop | None:
        if isinstance(layer, InMemoryChannelLayer) and not via_postgres:
            loop = self._serving_loop
            return loop if loop is not None and loop.is_running() else None
        if self._private_loop is None or self._private_pid != os.getpid():
            self._private_loop = _start_loop_thread()
            self._private_pid = os.getpid()
            self._publisher = postgres.Publisher()  # a forked worker opens its own connection
        return self._private_loop

    async def _flush_after(self, layer: Any, delay: float, *, via_postgres: bool) -> None:
        if delay:
            await asyncio.sleep(delay)
        with self._lock:
            batch, self._pending, self._scheduled = self._pending, {}, False
            self._last_sent = time.monotonic()
        try:
            if via_postgres:
                await self._publisher.publish(batch)
            else:
                await layer.group_send(LIVE_GROUP, {"type": RUNS_CHANGED, "runs": batch})
        except Exception:
            logger.warning("live notification of %d runs failed", len(batch), exc_info=True)


def _start_loop_thread() -> asyncio.AbstractEventLoop:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="handoff-live-notifier", daemon=True)
    thread.start()
    return loop


notifier = Notifier()
