"""``/ws/dashboard/?<the page's query>``: live rows that keep the viewer's filter and page.

A changed run that is on the page is redrawn, or removed when it no longer
fits the filter; a run that now fits is added at the top only on the first
page of the newest-first view, where new runs belong. Each connection knows
its own query, so two viewers with different filters see different changes.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from channels.db import database_sync_to_async

from review import dashboard, rendering
from review.consumers import DashboardStreamConsumer


class DashboardPageConsumer(DashboardStreamConsumer):
    query = dashboard.DashboardQuery()

    async def admit(self, user: Any) -> bool:
        raw = self.scope.get("query_string", b"").decode("latin-1")
        self.query = dashboard.DashboardQuery.parse(dict(parse_qsl(raw)))
        return await super().admit(user)

    async def send_state(self) -> None:
        page = await database_sync_to_async(dashboard.dashboard_page)(self.user, self.query)
        self.shown_ids = {str(run.pk) for run in page.runs}
        self.empty_shown = not page.runs
        html = await database_sync_to_async(rendering.dashboard_rows_html)(page.runs)
        await self.send(html)

    async def send_runs(self, runs: list[Any]) -> None:
        html = await database_sync_to_async(self._changes)(runs)
        if html:
            await self.send(html)

    def _changes(self, runs: list[Any]) -> str:
        parts = []
        for run in runs:
            run_id = str(run.pk)
            fits = dashboard.matches(self.user, self.query, run.pk)
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
