"""The dashboard websockets: current rows first, then a row whenever a visible run changes."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth.models import User

from tests.review.conftest import connected, receive_json, refused_with, ws_headers
from workflows.engine import api
from workflows.engine.testing import run_workflow

pytestmark = pytest.mark.django_db(transaction=True)


async def next_run_message(ws, run_id: str, status: str) -> dict:
    while True:
        message = await receive_json(ws, timeout=3)
        if message["run"]["id"] == run_id and message["run"]["status"] == status:
            return message["run"]


async def test_json_dashboard_sends_recent_runs_then_creations_and_status_changes(
    reviewer: User, review_flow
) -> None:
    earlier = await database_sync_to_async(run_workflow)(review_flow, {"n": 1})
    headers = await database_sync_to_async(ws_headers)(reviewer)
    async with connected("/ws/runs/", headers) as ws:
        state = await receive_json(ws)
        assert state["type"] == "state"
        assert [run["id"] for run in state["runs"]] == [str(earlier.pk)]
        assert state["runs"][0]["status"] == "suspended"

        run = await database_sync_to_async(api.start_run)(review_flow, {"n": 5})
        created = await next_run_message(ws, str(run.pk), "running")
        assert created["workflow_id"] == review_flow.id
        assert created["progress"] == {"done": 0, "planned": 3, "percent": 0}

        await database_sync_to_async(api.resume_run)(earlier.pk, {"approved": True}, path="approve")
        await next_run_message(ws, str(earlier.pk), "running")


async def test_html_dashboard_prepends_new_rows_and_swaps_known_ones(
    reviewer: User, review_flow
) -> None:
    earlier = await database_sync_to_async(run_workflow)(review_flow, {"n": 1})
    headers = await database_sync_to_async(ws_headers)(reviewer)
    async with connected("/ws/dashboard/", headers) as ws:
        state = await ws.receive_from(timeout=3)
        assert state.startswith('<div id="run-rows">')
        assert f'id="run-{earlier.pk}-row"' in state

        await database_sync_to_async(api.cancel_run)(earlier.pk)
        swap = await ws.receive_from(timeout=3)
        assert swap.lstrip().startswith(
            f'<div class="run-row status-canceled tone-neutral" id="run-{earlier.pk}-row"'
        )

        run = await database_sync_to_async(api.start_run)(review_flow, {"n": 5})
        new = await ws.receive_from(timeout=3)
        prepended = (
            '<div hx-swap-oob="afterbegin:#run-rows">\n'
            '<div class="run-row status-running tone-running"'
        )
        assert f'{prepended} id="run-{run.pk}-row"' in new


async def test_dashboard_shows_a_user_only_their_own_runs(
    outsider: User, reviewer: User, review_flow
) -> None:
    theirs = await database_sync_to_async(run_workflow)(review_flow, {"n": 1}, actor=outsider)
    await database_sync_to_async(run_workflow)(review_flow, {"n": 2}, actor=reviewer)
    headers = await database_sync_to_async(ws_headers)(outsider)
    async with connected("/ws/runs/", headers) as ws:
        state = await receive_json(ws)
        assert [run["id"] for run in state["runs"]] == [str(theirs.pk)]
        foreign = await database_sync_to_async(api.start_run)(review_flow, {"n": 3}, actor=reviewer)
        await database_sync_to_async(api.cancel_run)(foreign.pk)
        mine = await database_sync_to_async(api.start_run)(review_flow, {"n": 4}, actor=outsider)
        message = await receive_json(ws)
        assert message["run"]["id"] == str(mine.pk)


@pytest.mark.parametrize("path", ["/ws/runs/", "/ws/dashboard/"])
async def test_anonymous_dashboards_are_refused(path: str, transactional_db: None) -> None:
    assert await refused_with(path, [(b"origin", b"http://localhost")]) == (False, 4401)


async def test_a_change_right_after_the_state_is_read_is_still_reported(
    reviewer: User, review_flow, monkeypatch
) -> None:
    from review.live import renderers

    run = await database_sync_to_async(run_workflow)(review_flow, {"n": 1})
    original = renderers.dashboard_runs

    def state_then_a_change(user):
        rows = original(user)
        api.cancel_run(run.pk)  # commits between the state read and the first live read
        return rows

    monkeypatch.setattr(renderers, "dashboard_runs", state_then_a_change)
    headers = await database_sync_to_async(ws_headers)(reviewer)
    async with connected("/ws/runs/", headers) as ws:
        state = await receive_json(ws)
        assert state["runs"][0]["status"] == "suspended"
        await next_run_message(ws, str(run.pk), "canceled")
