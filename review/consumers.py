"""Websocket consumers: one run, and the run lists (the dashboard and the review queue).

Each route (review/routing.py) names the renderer its consumer sends with: HTML
for the pages' htmx, JSON for programs (review/live/renderers.py).

Contract (docs/live.md):
- Refused at the handshake: not signed in (close code 4401), a run that does not
  exist or that the user may not see (4404), a malformed ``after`` (4400). A
  foreign ``Origin`` is refused before any consumer runs (config/asgi.py).
- One run: the first message is the run's current state. Then every event with
  an id greater than the renderer's starting point (``after`` for JSON, else the
  state's last event), in id order: no gap, no duplicate.
- The lists: the current rows first, then news each time a visible run changes.

The consumers never trust a notification's content; they read the event log
through the process's shared feeds (review/live/feeds.py) and render.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Awaitable, Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from review.live import messages
from review.live.feeds import Feed, RunFeed, Subscription, hub, poll_seconds
from review.live.renderers import ListRenderer, Message, RunRenderer
from review.permissions import can_view_run, can_view_run_row, sees_every_run
from workflows.engine import api
from workflows.engine.errors import RunNotFound

logger = logging.getLogger(__name__)

NOT_SIGNED_IN = 4401
NOT_FOUND = 4404
BAD_REQUEST = 4400
STARTUP_SECONDS = 10.0  # at most, for a new dashboard feed's first read
WHOLE_NUMBER = re.compile(r"[0-9]{1,19}")
MAX_EVENT_ID = 2**63 - 1


def parse_after(query_string: bytes) -> int | None:
    """``?after=<event id>``; None when absent; ValueError unless ASCII digits of an event id.

    As strict as the HTTP API's ``after``: ``int()`` would take " 1", "+1" and
    other scripts' digits, and an id beyond 64 bits fails in the database.
    """
    values = parse_qs(query_string.decode("latin-1")).get("after")
    if not values:
        return None  # absent or empty, as over HTTP
    raw = values[-1]
    if not WHOLE_NUMBER.fullmatch(raw) or int(raw) > MAX_EVENT_ID:
        raise ValueError("after must be an event id: a whole number, 0 or more")
    return int(raw)


def _visible_run_id(user: Any, run_id: str) -> str | None:
    try:
        run = api.get_run(run_id)
    except RunNotFound:
        return None
    return str(run.pk) if can_view_run(user, run) else None


class LiveConsumer(AsyncJsonWebsocketConsumer):  # type: ignore[misc]  # channels is untyped
    """What every live stream does alike: refuse strangers, send, pump news, unsubscribe.

    The streams only send. Whatever a client sends is ignored, so an odd frame
    (binary, not JSON) cannot close a stream.
    """

    # No channel of its own: the process's hub (review/live/feeds.py) is its one member of
    # the live group. An alias with no configuration gives no layer, so a connection does
    # not hold a receive on Redis that nothing ever sends to.
    channel_layer_alias = "no-channel"
    feed: Feed | None = None
    subscription: Subscription | None = None
    pump_task: asyncio.Task[None] | None = None

    async def signed_in_user(self) -> Any | None:
        """The session's user, or None after refusing the handshake with 4401."""
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=NOT_SIGNED_IN)
            return None
        return user

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """Clients have nothing to say to a live stream."""

    @classmethod
    async def encode_json(cls, content: Any) -> str:
        return messages.dumps(content)  # dates, UUIDs and decimals as Django encodes them

    async def send_all(self, sent: Iterable[Message]) -> None:
        """Text as it is (HTML, or JSON already encoded once per process); dicts as JSON."""
        for message in sent:
            if isinstance(message, str):
                await self.send(text_data=message)
            else:
                await self.send_json(message)

    def pump(self, send_news: Callable[[], Awaitable[None]]) -> None:
        """Send news whenever the feed has some, until the socket closes."""
        self.pump_task = asyncio.create_task(self._pump(send_news))

    async def _pump(self, send_news: Callable[[], Awaitable[None]]) -> None:
        assert self.subscription is not None
        while True:
            await self.subscription.ready.wait()
            self.subscription.ready.clear()
            try:
                await send_news()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning(
                    "live stream %s failed to send; retrying", self.scope["path"], exc_info=True
                )
                await asyncio.sleep(poll_seconds())
                self.subscription.ready.set()

    async def disconnect(self, code: int) -> None:
        if self.pump_task is not None:
            self.pump_task.cancel()
            await asyncio.gather(self.pump_task, return_exceptions=True)
        if self.feed is not None and self.subscription is not None:
            await hub().unsubscribe(self.feed, self.subscription)
            self.feed = self.subscription = None


class RunConsumer(LiveConsumer):
    """One run: its state, then every later event, rendered by the route's renderer."""

    def __init__(self, renderer: Callable[[], RunRenderer]) -> None:
        super().__init__()
        self.renderer = renderer()
        self.run_id = ""
        self.cursor = 0

    async def connect(self) -> None:
        user = await self.signed_in_user()
        if user is None:
            return
        try:
            after = parse_after(self.scope.get("query_string", b""))
        except ValueError:
            await self.close(code=BAD_REQUEST)
            return
        requested = str(self.scope["url_route"]["kwargs"]["run_id"])
        run_id = await database_sync_to_async(_visible_run_id)(user, requested)
        if run_id is None:
            await self.close(code=NOT_FOUND)
            return
        self.run_id = run_id
        # Subscribe before reading anything, so nothing committed meanwhile is missed.
        self.feed, self.subscription = hub().subscribe_run(run_id)
        await self.accept()
        state, self.cursor = await self.renderer.state(run_id, user, after)
        await self.send_all(state)
        await self.send_news()
        self.pump(self.send_news)

    async def send_news(self) -> None:
        """Every event after the cursor, in id order; the cursor moves as they are sent."""
        feed = self.feed
        assert isinstance(feed, RunFeed)
        while batch := await feed.events_after(self.cursor):
            sent = await self.renderer.events(feed, self.run_id, batch, self.scope["user"])
            await self.send_all(sent)
            self.cursor = batch[-1]["id"]


class DashboardConsumer(LiveConsumer):
    """A list of runs: the dashboard's rows (HTML or JSON) or the viewer's review queue.

    All of them change only when a run changes, so they share the process's one
    dashboard feed, which reports changed runs, never events: its news is per-run
    state, and seeing a run twice is harmless.
    """

    renderer: ListRenderer

    def __init__(self, renderer: Callable[[str], ListRenderer]) -> None:
        super().__init__()
        self.make_renderer = renderer  # with the query string, which only connect() knows
        self.user: Any = None

    async def connect(self) -> None:
        user = await self.signed_in_user()
        if user is None:
            return
        self.renderer = self.make_renderer(self.scope.get("query_string", b"").decode("latin-1"))
        await database_sync_to_async(sees_every_run)(user)  # caches the role check
        self.user = user
        feed, subscription = hub().subscribe_dashboard()
        self.feed, self.subscription = feed, subscription
        # Read the first rows only once the feed knows where it starts, so every
        # change made after them is reported.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(feed.started.wait(), STARTUP_SECONDS)
        await self.accept()
        await self.send_all(await self.renderer.state(user))
        self.pump(self.send_news)

    async def send_news(self) -> None:
        """The runs changed since the last news that this viewer may see, oldest first."""
        assert self.subscription is not None
        changed, self.subscription.changed_runs = self.subscription.changed_runs, {}
        runs = [run for run in changed.values() if can_view_run_row(self.user, run.created_by_id)]
        if runs:
            runs.sort(key=lambda run: run.created_at)
            await self.send_all(await self.renderer.changes(self.user, runs))
