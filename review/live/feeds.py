"""Process-local readers of the event log, shared by every websocket consumer in the process.

The event log is the truth; notifications only say "look again". A feed reads the
log when the channel layer wakes it, and polls it anyway every
``HANDOFF_LIVE_POLL_SECONDS`` (a lost notification, a Redis restart, or no cross-process
layer at all). One feed per run per process means 200 browsers watching one run
cost one query per change, not 200.

``RunFeed`` keeps every event of its run after the point it started from
(``complete_from``), in id order, so a consumer whose cursor is at or past that point
takes what it has not seen from memory, and one further behind reads the database.
Both give exactly the events after the cursor: within a run, ids commit in order.

``DashboardFeed`` scans the whole log for runs with new events. Ids of different
runs may commit out of order (on PostgreSQL), so it keeps its low-water mark below
any id it has not seen yet, for ``GAP_SECONDS``, and sends per-run current state,
never events, so seeing a run twice is harmless.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import logging
import time
import weakref
from collections.abc import Awaitable, Callable, Hashable
from typing import Any

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from redis.exceptions import TimeoutError as RedisTimeoutError

from review.live import messages, postgres, reads, watch
from review.live.groups import LIVE_GROUP
from review.live.notifier import notifier

logger = logging.getLogger(__name__)

CACHE_LIMIT = 2000  # events a RunFeed keeps in memory
CACHE_BYTES = 32 * 1024 * 1024  # and at most this much of them, as JSON
GROUP_REFRESH_SECONDS = 5.0  # re-join the group: renews its expiry, survives a Redis restart
GAP_SECONDS = 10.0  # how long an unseen id may still commit before it is given up on
MAX_GAPS = 10_000
SHARED_LIMIT = 64  # renders shared between consumers of one run


def poll_seconds() -> float:
    return float(settings.HANDOFF_LIVE_POLL_SECONDS)


class Subscription:
    """One consumer's place in a feed; ``ready`` is set when the feed has news."""

    def __init__(self) -> None:
        self.ready = asyncio.Event()
        self.changed_runs: dict[str, Any] = {}


class Feed:
    """Reads the event log when woken (by its hub) and at least every poll interval."""

    def __init__(self) -> None:
        self.subscribers: set[Subscription] = set()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._read_loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    def wake(self) -> None:
        self._wake.set()

    def tell_subscribers(self) -> None:
        for subscription in self.subscribers:
            subscription.ready.set()

    async def read(self) -> None:
        raise NotImplementedError

    async def _read_loop(self) -> None:
        while True:
            self._wake.clear()
            try:
                await self.read()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning("live feed %r could not read the event log", self, exc_info=True)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), poll_seconds())


class RunFeed(Feed):
    def __init__(self, run_id: str) -> None:
        super().__init__()
        self.run_id = run_id
        self.complete_from: int | None = None
        self.cursor = 0
        self._events: list[dict[str, Any]] = []
        self._ids: list[int] = []
        self._sizes: list[int] = []
        self._shared: dict[Hashable, asyncio.Future[Any]] = {}
        self._messages: dict[int, str] = {}

    def event_message(self, event: dict[str, Any]) -> str:
        """The JSON stream's message for an event, built once per process, not once per client."""
        text = self._messages.get(event["id"])
        if text is None:
            if len(self._messages) >= CACHE_LIMIT:
                self._messages.clear()
            text = self._messages[event["id"]] = messages.event_message(event)
        return text

    async def shared(self, key: Hashable, compute: Callable[[], Awaitable[Any]]) -> Any:
        """Compute once what every consumer in the same position would compute alike.

        Browsers watching one run are usually in step, so the HTML for "events
        N..M given what the page shows" is rendered once, not once per browser.
        """
        future = self._shared.get(key)
        if future is None:
            if len(self._shared) >= SHARED_LIMIT:
                self._shared.clear()
            future = self._shared[key] = asyncio.ensure_future(compute())
        try:
            return await asyncio.shield(future)
        except Exception:
            self._shared.pop(key, None)
            raise

    async def read(self) -> None:
        if self.complete_from is None:
            start = await database_sync_to_async(reads.last_event_id)(self.run_id)
            self.complete_from = self.cursor = start
            return
        found = False
        while True:
            batch = await database_sync_to_async(reads.events_after)(self.run_id, self.cursor)
            if not batch:
                break
            found = True
            self._events.extend(batch)
            self._ids.extend(event["id"] for event in batch)
            self._sizes.extend(messages.encoded_size(messages.dumps(event)) for event in batch)
            self.cursor = batch[-1]["id"]
            if len(batch) < reads.PAGE:
                break
        if not found:
            return
        self._trim()
        self.tell_subscribers()

    def _trim(self) -> None:
        """Keep at most CACHE_LIMIT events and CACHE_BYTES of them (outputs can be megabytes)."""
        drop = max(0, len(self._events) - CACHE_LIMIT)
        total = sum(self._sizes[drop:])
        while total > CACHE_BYTES and drop < len(self._events) - 1:
            total -= self._sizes[drop]
            drop += 1
        if drop:
            self.complete_from = self._ids[drop - 1]
            del self._events[:drop], self._ids[:drop], self._sizes[:drop]

    async def events_after(self, cursor: int) -> list[dict[str, Any]]:
        """Events with id > ``cursor`` (possibly a first page of them), oldest first."""
        if self.complete_from is not None and cursor >= self.complete_from:
            return self._events[bisect.bisect_right(self._ids, cursor) :]
        events: list[dict[str, Any]] = await database_sync_to_async(reads.events_after)(
            self.run_id, cursor
        )
        return events


class DashboardFeed(Feed):
    def __init__(self) -> None:
        super().__init__()
        self.low: int | None = None  # every id <= low was seen or given up on
        self._seen: set[int] = set()  # ids > low already seen
        self._gaps: dict[int, float] = {}  # unseen id > low -> when first missed
        self._notified: set[str] = set()
        self._versions: dict[str, int] = {}  # run id -> last_event_id already sent
        # Set once ``low`` is known: a consumer reads its first rows after this, so
        # every change it could miss is above ``low`` and will be reported.
        self.started = asyncio.Event()

    def note(self, run_ids: list[str]) -> None:
        """The hub heard these runs changed: report them even before their ids are read."""
        self._notified.update(run_ids)
        self.wake()

    async def read(self) -> None:
        if self.low is None:
            self.low = await database_sync_to_async(reads.max_event_id)()
            self.started.set()
            return
        notified, self._notified = self._notified, set()
        rows = await database_sync_to_async(reads.event_ids_after)(self.low)
        changed = set(notified)
        for event_id, run_id in rows:
            if event_id not in self._seen:
                self._seen.add(event_id)
                changed.add(run_id)
        self._advance(max((event_id for event_id, _ in rows), default=self.low))
        if len(rows) >= 5000:
            self.wake()
        if not changed:
            return
        found = await database_sync_to_async(reads.runs_by_id)(changed)
        runs = {
            run_id: run
            for run_id, run in found.items()
            if self._versions.get(run_id) != run.last_event_id
        }
        if len(self._versions) > MAX_GAPS:
            self._versions.clear()
        self._versions.update({run_id: run.last_event_id for run_id, run in runs.items()})
        if not runs:
            return
        for subscription in self.subscribers:
            subscription.changed_runs.update(runs)
        self.tell_subscribers()

    def _advance(self, highest: int) -> None:
        """Move ``low`` up to the first id that may still commit."""
        assert self.low is not None
        now = time.monotonic()
        if highest - self.low > MAX_GAPS:  # a huge hole: deleted runs, not pending commits
            self.low, self._seen, self._gaps = highest, set(), {}
            return
        for event_id in range(self.low + 1, highest + 1):
            if event_id not in self._seen:
                self._gaps.setdefault(event_id, now)
        self._gaps = {
            event_id: since
            for event_id, since in self._gaps.items()
            if event_id not in self._seen and now - since < GAP_SECONDS
        }
        self.low = min(self._gaps) - 1 if self._gaps else max(self.low, highest)
        self._seen = {event_id for event_id in self._seen if event_id > self.low}


class Hub:
    """The feeds of one event loop (daphne's, or a test's), and their one subscription.

    The hub joins the live group once, however many runs are watched, and wakes
    the feeds of the runs each notification names.
    """

    def __init__(self) -> None:
        self.runs: dict[str, RunFeed] = {}
        self.dashboard: DashboardFeed | None = None
        self._watcher: asyncio.Task[None] | None = None
        self._listener: asyncio.Task[None] | None = None
        self._channel: str | None = None

    def dispatch(self, runs: dict[str, Any]) -> None:
        for run_id in runs:
            feed = self.runs.get(run_id)
            if feed is not None:
                feed.wake()
        if self.dashboard is not None:
            self.dashboard.note(list(runs))

    async def _listen(self) -> None:
        layer = get_channel_layer()
        if layer is None:
            return
        refresher: asyncio.Task[None] | None = None
        try:
            while True:
                try:
                    if self._channel is None:
                        self._channel = await layer.new_channel()
                        await layer.group_add(LIVE_GROUP, self._channel)
                        refresher = asyncio.create_task(self._keep_joined(layer, self._channel))
                        self.wake_all()  # anything committed while joining is read now
                    message = await layer.receive(self._channel)
                    self.dispatch(message.get("runs") or {})
                except asyncio.CancelledError:
                    raise
                except RedisTimeoutError:
                    # Nothing arrived within redis-py's read timeout, which equals
                    # channels-redis's blocking read. The channel and its group stay;
                    # a notification popped as the read gave up would be lost, so the
                    # feeds read what they missed from the event log.
                    self.wake_all()
                except Exception:
                    logger.warning("live hub lost the channel layer", exc_info=True)
                    if refresher is not None:
                        refresher.cancel()
                    self._channel = refresher = None  # join again from scratch
                    await asyncio.sleep(1.0)
        finally:
            if refresher is not None:
                refresher.cancel()

    async def _keep_joined(self, layer: Any, channel: str) -> None:
        """Re-join now and then: renews the group's expiry and survives a Redis restart."""
        while True:
            await asyncio.sleep(GROUP_REFRESH_SECONDS)
            try:
                await layer.group_add(LIVE_GROUP, channel)
            except Exception:
                logger.debug("could not re-join %s", LIVE_GROUP, exc_info=True)

    def feeds(self) -> list[Feed]:
        found: list[Feed] = list(self.runs.values())
        if self.dashboard is not None:
            found.append(self.dashboard)
        return found

    def wake_all(self) -> None:
        for feed in self.feeds():
            feed.wake()

    def _started(self, feed: Feed) -> None:
        feed.start()
        if self._listener is None:
            self._listener = asyncio.create_task(self._listen())
        if self._watcher is None:
            self._watcher = self._watch_other_processes()

    def _watch_other_processes(self) -> asyncio.Task[None] | None:
        """Without Redis: notice other processes' commits in the database itself."""
        if postgres.enabled():
            return asyncio.create_task(postgres.listen(self.dispatch, self.wake_all))
        paths = watch.watched_files()
        if paths:
            return asyncio.create_task(watch.watch(paths, self.wake_all))
        return None

    def subscribe_run(self, run_id: str) -> tuple[RunFeed, Subscription]:
        feed = self.runs.get(run_id)
        if feed is None:
            feed = self.runs[run_id] = RunFeed(run_id)
            self._started(feed)
        subscription = Subscription()
        feed.subscribers.add(subscription)
        return feed, subscription

    def subscribe_dashboard(self) -> tuple[DashboardFeed, Subscription]:
        if self.dashboard is None:
            self.dashboard = DashboardFeed()
            self._started(self.dashboard)
        subscription = Subscription()
        self.dashboard.subscribers.add(subscription)
        return self.dashboard, subscription

    async def unsubscribe(self, feed: Feed, subscription: Subscription) -> None:
        feed.subscribers.discard(subscription)
        if feed.subscribers:
            return
        if isinstance(feed, RunFeed) and self.runs.get(feed.run_id) is feed:
            del self.runs[feed.run_id]
        elif feed is self.dashboard:
            self.dashboard = None
        stopping = [feed.stop()]
        if not self.feeds():
            stopping.extend(self._stop_background())
        await asyncio.gather(*stopping)

    def _stop_background(self) -> list[Any]:
        """No feed left: stop watching the database and leave the live group."""
        stopping: list[Any] = []
        for task in (self._watcher, self._listener):
            if task is not None:
                task.cancel()
                stopping.append(asyncio.gather(task, return_exceptions=True))
        self._watcher = self._listener = None
        channel, self._channel = self._channel, None
        if channel is not None:
            stopping.append(_leave(channel))
        return stopping


async def _leave(channel: str) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        await layer.group_discard(LIVE_GROUP, channel)
    except Exception:
        logger.debug("could not leave %s", LIVE_GROUP, exc_info=True)


_hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Hub] = weakref.WeakKeyDictionary()


def hub() -> Hub:
    loop = asyncio.get_running_loop()
    found = _hubs.get(loop)
    if found is None:
        found = _hubs[loop] = Hub()
        notifier.serve_on(loop)
    return found
