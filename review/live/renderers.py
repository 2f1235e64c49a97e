"""What each live stream sends: one renderer per route, one instance per connection.

The two consumers (review/consumers.py) own the life cycle: who may connect,
the feed, the cursor and the order of messages. A renderer only turns the
state and the news into messages, HTML for the pages' htmx or JSON for
programs, and keeps what its own connection has been shown. A message is
text, sent as it is (HTML, or JSON the feed encoded once for every client),
or a dict, which the consumer encodes as JSON.

- Run streams: :class:`RunHtml` (``/ws/runs/<id>/``) and :class:`RunJson`
  (``/ws/runs/<id>/events/``).
- Run lists, fed by the dashboard feed: :class:`DashboardJson` (``/ws/runs/``),
  :class:`DashboardHtml` (``/ws/dashboard/``) and :class:`QueueHtml` (``/ws/queue/``).
"""

from __future__ import annotations

from typing import Any, Protocol
from urllib.parse import parse_qsl

from channels.db import database_sync_to_async
from django.urls import reverse

from review import dashboard, queue, rendering
from review.live import messages
from review.live.feeds import RunFeed
from review.selectors import dashboard_runs
from workflows.engine import api
from workflows.models import WorkflowRun

Message = str | dict[str, Any]


class RunRenderer(Protocol):
    async def state(self, run_id: str, user: Any, after: int | None) -> tuple[list[Message], int]:
        """The first messages, and the event id after which the stream goes on."""
        ...

    async def events(
        self, feed: RunFeed, run_id: str, events: list[dict[str, Any]], user: Any
    ) -> list[Message]:
        """The messages for ``events``, the next in id order after what was sent."""
        ...


class ListRenderer(Protocol):
    async def state(self, user: Any) -> list[Message]:
        """The first messages: the list as this viewer sees it now."""
        ...

    async def changes(self, user: Any, runs: list[WorkflowRun]) -> list[Message]:
        """The messages for runs that changed and that this viewer may see."""
        ...


class RunJson:
    """The snapshot, then each event as the feed encoded it, large values by reference."""

    async def state(self, run_id: str, user: Any, after: int | None) -> tuple[list[Message], int]:
        snapshot = await database_sync_to_async(api.snapshot)(run_id)
        start = after if after is not None else snapshot["as_of_event_id"]
        return [messages.state_message(snapshot)], start

    async def events(
        self, feed: RunFeed, run_id: str, events: list[dict[str, Any]], user: Any
    ) -> list[Message]:
        return [feed.event_message(event) for event in events]


class RunHtml:
    """Out-of-band swaps for the run page.

    The state replaces the header, review panel, pipeline and timeline, so a
    browser that reconnects (htmx does, on its own) is exact again at once;
    ``after`` is not used, since the timeline comes with the state.
    """

    def __init__(self) -> None:
        self.shown: rendering.Signatures = {}

    async def state(self, run_id: str, user: Any, after: int | None) -> tuple[list[Message], int]:
        parts, last, self.shown = await database_sync_to_async(rendering.run_state_parts)(
            run_id, user
        )
        return _packed(parts, run_id), last

    async def events(
        self, feed: RunFeed, run_id: str, events: list[dict[str, Any]], user: Any
    ) -> list[Message]:
        shown = self.shown
        key = (events[0]["id"], events[-1]["id"], hash(frozenset(shown.items())))
        parts, self.shown = await feed.shared(
            key,
            lambda: database_sync_to_async(rendering.run_update_parts)(run_id, events, shown),
        )
        # Controls depend on who looks, so that part is rendered for this connection alone.
        own = await database_sync_to_async(rendering.viewer_update_parts)(run_id, events, user)
        return _packed([*parts, *own], run_id)


def _packed(parts: list[str], run_id: str) -> list[Message]:
    """As few messages as fit under the live message limit (review/live/messages.py)."""
    return list(messages.pack(parts, reverse("review:run", kwargs={"run_id": run_id})))


class DashboardJson:
    """``state`` with the recent runs, then a ``run`` row per change (per-run state, not events)."""

    def __init__(self, query: str) -> None:
        """The JSON list takes no query."""

    async def state(self, user: Any) -> list[Message]:
        runs = await database_sync_to_async(dashboard_runs)(user)
        return [{"type": "state", "runs": [rendering.run_summary(run) for run in runs]}]

    async def changes(self, user: Any, runs: list[WorkflowRun]) -> list[Message]:
        return [{"type": "run", "run": rendering.run_summary(run)} for run in runs]


class DashboardHtml:
    """Live rows that keep the viewer's filter and page (the dashboard's query string).

    A changed run that is on the page is redrawn, or removed when it no longer
    fits the filter; a run that now fits is added at the top only on the first
    page of the newest-first view, where new runs belong. Each connection knows
    its own query, so two viewers with different filters see different changes.
    """

    def __init__(self, query: str) -> None:
        self.query = dashboard.DashboardQuery.parse(dict(parse_qsl(query)))
        self.shown_ids: set[str] = set()
        self.empty_shown = False

    async def state(self, user: Any) -> list[Message]:
        page = await database_sync_to_async(dashboard.dashboard_page)(user, self.query)
        self.shown_ids = {str(run.pk) for run in page.runs}
        self.empty_shown = not page.runs
        return [await database_sync_to_async(rendering.dashboard_rows_html)(page.runs)]

    async def changes(self, user: Any, runs: list[WorkflowRun]) -> list[Message]:
        html = await database_sync_to_async(self._changes)(user, runs)
        return [html] if html else []

    def _changes(self, user: Any, runs: list[WorkflowRun]) -> str:
        parts = []
        for run in runs:
            run_id = str(run.pk)
            fits = dashboard.matches(user, self.query, run.pk)
            if run_id in self.shown_ids:
                if fits:
                    parts.append(rendering.dashboard_row_html(run, new=False))
                else:
                    self.shown_ids.discard(run_id)
                    parts.append(f'<div id="run-{run_id}-row" hx-swap-oob="delete"></div>')
            elif fits and self.query.live_inserts:
                self.shown_ids.add(run_id)
                parts.append(rendering.dashboard_row_html(run, new=True))
        if parts and self.empty_shown and self.shown_ids:
            parts.append('<p id="runs-empty" hx-swap-oob="delete"></p>')
            self.empty_shown = False
        return "".join(parts)


class QueueHtml:
    """The viewer's review queue (its ``show`` and ``page``), redrawn whenever a run changes.

    What a user may act on is theirs alone and a claim or a decision reorders
    it, so the list is rendered again for each connection, not patched row by row.
    """

    def __init__(self, query: str) -> None:
        params = dict(parse_qsl(query))  # the last of repeated names, as the page reads them
        self.show, self.number = queue.parse_view(params.get("show"), params.get("page"))

    async def state(self, user: Any) -> list[Message]:
        html = await database_sync_to_async(rendering.queue_html)(user, self.show, self.number)
        return [html]

    async def changes(self, user: Any, runs: list[WorkflowRun]) -> list[Message]:
        return await self.state(user)
