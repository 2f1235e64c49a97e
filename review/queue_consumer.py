"""``/ws/queue/``: the review queue page, redrawn for its viewer whenever a run changes.

Built on the dashboard's feed (every run change in this process's view), so
the queue costs no extra database polling; each connection renders its own
list, because what a user may act on is theirs alone.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from django.template.loader import render_to_string

from review import queue
from review.consumers import DashboardStreamConsumer


def queue_html(user: Any, show: str, number: int) -> str:
    context = queue.view_context(user, show, number)
    badge = f'<span class="count-badge" id="queue-count">{queue.open_count(user)}</span>'
    return render_to_string("review/_queue_items.html", context) + badge


class QueuePageConsumer(DashboardStreamConsumer):
    show = "all"
    number = 1

    async def admit(self, user: Any) -> bool:
        params = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        self.show, self.number = queue.parse_view(
            (params.get("show") or [None])[-1], (params.get("page") or [None])[-1]
        )
        return await super().admit(user)

    async def send_state(self) -> None:
        await self.send(await database_sync_to_async(queue_html)(self.user, self.show, self.number))

    async def send_runs(self, runs: list[Any]) -> None:
        await self.send_state()
