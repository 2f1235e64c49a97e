"""Websocket consumers: one run (HTML for htmx, JSON for programs) and the dashboard.

Contract (docs/live.md):
- Refused at the handshake: not signed in (close code 4401), a run that does not
  exist or that the user may not see (4404), a malformed ``after`` (4400). A
  foreign ``Origin`` is refused before any consumer runs (config/asgi.py).
- One run: the first message is the run's current state. Then every event with
  an id greater than ``after`` when the client gave one, else greater than the
  state's ``last_event_id``, in id order: no gap, no duplicate.
- The dashboard: the current rows first, then a row each time a run changes.

The consumers never trust a notification's content; they read the event log
through the process's shared feeds (review/live/feeds.py) and render.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.core.serializers.json import DjangoJSONEncoder
from django.urls import reverse

from review import rendering
from review.live import messages
from review.live.feeds import Feed, RunFeed, Subscription, hub, poll_seconds
from review.permissions import can_view_run, can_view_run_row, sees_every_run
from review.selectors import dashboard_runs
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


def dumps(message: dict[str, Any]) -> str:
    return json.dumps(message, cls=DjangoJSONEncoder)


class StreamConsumer(AsyncWebsocketConsumer):
    """Common life cycle: check, subscribe, accept, send the state, then pump news."""

    feed: Feed | None = None
    subscription: Subscription | None = None
    pump_task: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=NOT_SIGNED_IN)
            return
        if await self.admit(user):
            await self.start()

    async def admit(self, user: Any) -> bool:
        raise NotImplementedError

    async def start(self) -> None:
        await self.accept()
        await self.send_state()
        self.pump_task = asyncio.create_task(self._pump())

    async def send_state(self) -> None:
        raise NotImplementedError

    async def send_news(self) -> None:
        raise NotImplementedError

    async def _pump(self) -> None:
        assert self.subscription is not None
        while True:
            await self.subscription.ready.wait()
            self.subscription.ready.clear()
            try:
                await self.send_news()
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


class RunStreamConsumer(StreamConsumer):
    run_id = ""
    cursor = 0
    after: int | None = None

    async def admit(self, user: Any) -> bool:
        try:
            self.after = parse_after(self.scope.get("query_string", b""))
        except ValueError:
            await self.close(code=BAD_REQUEST)
            return False
        run_id = str(self.scope["url_route"]["kwargs"]["run_id"])
        visible = await database_sync_to_async(_visible_run_id)(user, run_id)
        if visible is None:
            await self.close(code=NOT_FOUND)
            return False
        self.run_id = visible
        # Subscribe before reading anything, so nothing committed meanwhile is missed.
        self.feed, self.subscription = hub().subscribe_run(visible)
        return True

    async def send_news(self) -> None:
        feed = self.feed
        assert isinstance(feed, RunFeed)
        while True:
            batch = await feed.events_after(self.cursor)
            if not batch:
                return
            await self.send_events(batch)
            self.cursor = batch[-1]["id"]

    async def send_events(self, events: list[dict[str, Any]]) -> None:
        raise NotImplementedError


class RunEventsConsumer(RunStreamConsumer):
    """``/ws/runs/<id>/events/``: the JSON stream for programs."""

    async def send_state(self) -> None:
        snapshot = await database_sync_to_async(api.snapshot)(self.run_id)
        last = snapshot["as_of_event_id"]
        await self.send(messages.state_message(snapshot))
        self.cursor = self.after if self.after is not None else last
        await self.send_news()

    async def send_events(self, events: list[dict[str, Any]]) -> None:
        feed = self.feed
        assert isinstance(feed, RunFeed)
        for event in events:
            await self.send(feed.event_message(event))


class RunPageConsumer(RunStreamConsumer):
    """``/ws/runs/<id>/``: HTML for the run page; every message is out-of-band swaps.

    The state replaces the header, pipeline and timeline, so a browser that
    reconnects (htmx does, on its own) is exact again at once; ``after`` is not
    used here, since the timeline comes with the state.
    """

    shown: rendering.Signatures

    async def send_state(self) -> None:
        user = self.scope["user"]
        parts, last, self.shown = await database_sync_to_async(rendering.run_state_parts)(
            self.run_id, user
        )
        await self.send_parts(parts)
        self.cursor = last
        await self.send_news()

    async def send_events(self, events: list[dict[str, Any]]) -> None:
        feed = self.feed
        assert isinstance(feed, RunFeed)
        shown = self.shown
        key = (events[0]["id"], events[-1]["id"], hash(frozenset(shown.items())))
        parts, self.shown = await feed.shared(
            key,
            lambda: database_sync_to_async(rendering.run_update_parts)(self.run_id, events, shown),
        )
        # Controls depend on who looks, so that part is rendered for this connection alone.
        own = await database_sync_to_async(rendering.viewer_update_parts)(
            self.run_id, events, self.scope["user"]
        )
        await self.send_parts([*parts, *own])

    async def send_parts(self, parts: list[str]) -> None:
        """As few messages as fit under the live message limit (review/live/messages.py)."""
        for message in messages.pack(parts, reverse("review:run", kwargs={"run_id": self.run_id})):
            await self.send(message)


class DashboardStreamConsumer(StreamConsumer):
    async def admit(self, user: Any) -> bool:
        await database_sync_to_async(sees_every_run)(user)  # caches the role check
        self.user = user
        feed, self.subscription = hub().subscribe_dashboard()
        self.feed = feed
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(feed.started.wait(), STARTUP_SECONDS)
        return True

    async def send_news(self) -> None:
        assert self.subscription is not None
        changed, self.subscription.changed_runs = self.subscription.changed_runs, {}
        runs = [run for run in changed.values() if can_view_run_row(self.user, run.created_by_id)]
        if runs:
            runs.sort(key=lambda run: run.created_at)
            await self.send_runs(runs)

    async def send_runs(self, runs: list[Any]) -> None:
        raise NotImplementedError


class DashboardEventsConsumer(DashboardStreamConsumer):
    """``/ws/runs/``: the dashboard as JSON: ``state`` with recent runs, then ``run`` rows."""

    async def send_state(self) -> None:
        runs = await database_sync_to_async(dashboard_runs)(self.user)
        summaries = [rendering.run_summary(run) for run in runs]
        await self.send(dumps({"type": "state", "runs": summaries}))

    async def send_runs(self, runs: list[Any]) -> None:
        for run in runs:
            await self.send(dumps({"type": "run", "run": rendering.run_summary(run)}))
