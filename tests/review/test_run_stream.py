"""The one-run websocket streams: state first, then every later event in id order, exactly once."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth.models import User

from review.live.notifier import notifier
from tests.review.conftest import connected, receive_json, refused_with, ws_headers
from workflows.engine import api, notify
from workflows.engine.testing import drain, resume_and_drain, run_workflow
from workflows.models import RunEvent, RunStatus

pytestmark = pytest.mark.django_db(transaction=True)


def event_ids(run_id, after: int) -> list[int]:
    return list(
        RunEvent.objects.filter(run_id=run_id, id__gt=after)
        .order_by("id")
        .values_list("id", flat=True)
    )


async def collect_until(communicator, last_id: int, timeout: float = 5) -> list[dict]:
    received = []
    while not received or received[-1]["event"]["id"] < last_id:
        received.append(await receive_json(communicator, timeout=timeout))
    return received


async def test_state_first_then_every_later_event_in_order(reviewer: User, review_flow) -> None:
    run = await database_sync_to_async(run_workflow)(review_flow, {"n": 1})
    assert run.status == RunStatus.SUSPENDED
    headers = await database_sync_to_async(ws_headers)(reviewer)
    async with connected(f"/ws/runs/{run.pk}/events/", headers) as ws:
        state = await receive_json(ws)
        assert state["type"] == "state"
        assert state["snapshot"]["status"] == "suspended"
        assert state["snapshot"]["suspended_paths"] == [["approve"]]
        assert state["snapshot"]["context"]["add_one"]["output"] == {"n": 2}
        assert state["last_event_id"] == state["snapshot"]["as_of_event_id"] == run.last_event_id
        await ws.receive_nothing(timeout=0.2)

        await database_sync_to_async(resume_and_drain)(run, {"approved": True}, path="approve")
        expected = await database_sync_to_async(event_ids)(run.pk, state["last_event_id"])
        messages = await collect_until(ws, expected[-1])
        assert all(message["type"] == "event" for message in messages)
        assert [message["event"]["id"] for message in messages] == expected
        assert messages[0]["event"]["type"] == "step.resumed"
        assert messages[-1]["event"]["type"] == "run.completed"
        await ws.receive_nothing(timeout=0.3)


async def test_after_gives_exactly_the_events_after_that_id(reviewer: User, review_flow) -> None:
    run = await database_sync_to_async(run_workflow)(review_flow, {"n": 1})
    ids = await database_sync_to_async(event_ids)(run.pk, 0)
    middle = ids[len(ids) // 2]
    headers = await database_sync_to_async(ws_headers)(reviewer)
    async with connected(f"/ws/runs/{run.pk}/events/?after={middle}", headers) as ws:
        state = await receive_json(ws)
        assert state["type"] == "state" and state["last_event_id"] == ids[-1]
        replayed = await collect_until(ws, ids[-1])
        assert [m["event"]["id"] for m in replayed] == [i for i in ids if i > middle]
        await database_sync_to_async(resume_and_drain)(run, {"approved": True}, path="approve")
        later = await database_sync_to_async(event_ids)(run.pk, ids[-1])
        live = await collect_until(ws, later[-1])
        assert [m["event"]["id"] for m in live] == later


async def test_events_arrive_by_notification_without_waiting_for_the_poll(
    reviewer: User, review_flow, settings
) -> None:
    settings.HANDOFF_LIVE_POLL_SECONDS = 30
    run = await database_sync_to_async(run_workflow)(review_flow, {"n": 1})
    headers = await database_sync_to_async(ws_headers)(reviewer)
    async with connected(f"/ws/runs/{run.pk}/events/", headers) as ws:
        await receive_json(ws)
        await database_sync_to_async(api.resume_run)(run.pk, {"approved": True}, path="approve")
        message = await receive_json(ws, timeout=2)
        assert message["event"]["type"] == "step.resumed"


async def test_a_lost_notification_costs_only_the_poll(
    reviewer: User, review_flow, settings
) -> None:
    settings.HANDOFF_LIVE_POLL_SECONDS = 0.1
    run = await database_sync_to_async(run_workflow)(review_flow, {"n": 1})
    headers = await database_sync_to_async(ws_headers)(reviewer)
    notify.unsubscribe(notifier)
    try:
        async with connected(f"/ws/runs/{run.pk}/events/", headers) as ws:
            seen = (await receive_json(ws))["last_event_id"]
            await database_sync_to_async(resume_and_drain)(run, {"approved": True}, path="approve")
            expected = await database_sync_to_async(event_ids)(run.pk, seen)
            messages = await collect_until(ws, expected[-1])
            assert [m["event"]["id"] for m in messages] == expected
    finally:
        notify.subscribe(notifier)


async def test_two_clients_on_one_run_each_get_every_event_once(
    reviewer: User, staff: User, review_flow
) -> None:
    run = await database_sync_to_async(run_workflow)(review_flow, {"n": 1})
    first = await database_sync_to_async(ws_headers)(reviewer)
    second = await database_sync_to_async(ws_headers)(staff)
    async with connected(f"/ws/runs/{run.pk}/events/", first) as a:
        seen = (await receive_json(a))["last_event_id"]
        async with connected(f"/ws/runs/{run.pk}/events/?after=0", second) as b:
            await receive_json(b)
            await database_sync_to_async(resume_and_drain)(run, {"approved": True}, path="approve")
            everything = await database_sync_to_async(event_ids)(run.pk, 0)
            later = [i for i in everything if i > seen]
            assert [m["event"]["id"] for m in await collect_until(a, everything[-1])] == later
            assert [m["event"]["id"] for m in await collect_until(b, everything[-1])] == everything


async def test_what_a_client_sends_is_ignored_and_the_stream_goes_on(
    reviewer: User, review_flow
) -> None:
    run = await database_sync_to_async(run_workflow)(review_flow, {"n": 1})
    headers = await database_sync_to_async(ws_headers)(reviewer)
    async with connected(f"/ws/runs/{run.pk}/events/", headers) as ws:
        await receive_json(ws)
        await ws.send_to(text_data="not json")
        await ws.send_to(bytes_data=b"\x00\x01")
        await ws.send_json_to({"type": "subscribe"})
        await database_sync_to_async(api.resume_run)(run.pk, {"approved": True}, path="approve")
        message = await receive_json(ws)
        assert message["event"]["type"] == "step.resumed"


async def test_state_shows_every_branch_of_a_parallel_stage(reviewer: User, fan_flow) -> None:
    workflow = fan_flow()
    run = await database_sync_to_async(api.start_run)(workflow, {"n": 1})  # queued, not drained
    headers = await database_sync_to_async(ws_headers)(reviewer)
    async with connected(f"/ws/runs/{run.pk}/events/", headers) as ws:
        state = await receive_json(ws)
        assert sorted(state["snapshot"]["active_paths"]) == [["b0"], ["b1"], ["b2"]]
        await database_sync_to_async(drain)()
        message = await receive_json(ws)
        assert message["type"] == "event"


async def test_html_stream_sends_the_page_partials_then_swaps(reviewer: User, review_flow) -> None:
    run = await database_sync_to_async(run_workflow)(review_flow, {"n": 1})
    headers = await database_sync_to_async(ws_headers)(reviewer)
    async with connected(f"/ws/runs/{run.pk}/", headers) as ws:
        state = await ws.receive_from(timeout=3)
        assert f'id="run-{run.pk}-header"' in state
        assert f'id="run-{run.pk}-pipeline"' in state
        assert f'id="run-{run.pk}-events"' in state
        assert "Waiting for a person" in state and "approve 2?" in state
        await database_sync_to_async(api.resume_run)(run.pk, {"approved": True}, path="approve")
        update = await ws.receive_from(timeout=3)
        assert f'id="run-{run.pk}-header"' in update
        assert f'hx-swap-oob="afterbegin:#run-{run.pk}-events"' in update
        assert "step.resumed" in update
        approve_row = await database_sync_to_async(
            lambda: run.executions.get(path_key="approve").pk
        )()
        assert f'id="step-{approve_row}"' in update


@pytest.mark.parametrize("path", ["/ws/runs/{id}/", "/ws/runs/{id}/events/"])
async def test_anonymous_is_refused_at_the_handshake(path: str, review_flow) -> None:
    run = await database_sync_to_async(run_workflow)(review_flow, {"n": 1})
    ok, code = await refused_with(path.format(id=run.pk), [(b"origin", b"http://localhost")])
    assert not ok and code == 4401


async def test_a_foreign_origin_is_refused(reviewer: User, review_flow) -> None:
    run = await database_sync_to_async(run_workflow)(review_flow, {"n": 1})
    headers = await database_sync_to_async(ws_headers)(reviewer, origin=b"http://evil.example")
    ok, _ = await refused_with(f"/ws/runs/{run.pk}/events/", headers)
    assert not ok
    no_origin = [h for h in headers if h[0] != b"origin"]
    ok, _ = await refused_with(f"/ws/runs/{run.pk}/events/", no_origin)
    assert not ok


async def test_a_run_the_user_may_not_see_is_refused_like_a_missing_one(
    outsider: User, review_flow
) -> None:
    run = await database_sync_to_async(run_workflow)(review_flow, {"n": 1})
    headers = await database_sync_to_async(ws_headers)(outsider)
    assert await refused_with(f"/ws/runs/{run.pk}/events/", headers) == (False, 4404)
    missing = "00000000-0000-0000-0000-000000000000"
    assert await refused_with(f"/ws/runs/{missing}/", headers) == (False, 4404)


async def test_the_creator_may_watch_their_own_run(outsider: User, review_flow) -> None:
    run = await database_sync_to_async(run_workflow)(review_flow, {"n": 1}, actor=outsider)
    headers = await database_sync_to_async(ws_headers)(outsider)
    async with connected(f"/ws/runs/{run.pk}/events/", headers) as ws:
        assert (await receive_json(ws))["type"] == "state"


async def test_a_malformed_after_is_refused(reviewer: User, review_flow) -> None:
    run = await database_sync_to_async(run_workflow)(review_flow, {"n": 1})
    headers = await database_sync_to_async(ws_headers)(reviewer)
    # "+1", " 1" and other scripts' digits pass int(); an id beyond 64 bits fails in SQL.
    for bad in ("x", "-1", "1.5", "%2B1", "%201", "%D9%A1%D9%A2", "9" * 30):
        assert await refused_with(f"/ws/runs/{run.pk}/events/?after={bad}", headers) == (
            False,
            4400,
        )


async def test_browsers_in_step_share_one_render_per_change(
    reviewer: User, staff: User, review_flow, monkeypatch
) -> None:
    from review import rendering

    renders = []
    original = rendering.run_update_parts

    def counted(*args, **kwargs):
        renders.append(args[1][-1]["id"])
        return original(*args, **kwargs)

    monkeypatch.setattr(rendering, "run_update_parts", counted)
    run = await database_sync_to_async(run_workflow)(review_flow, {"n": 1})
    first = await database_sync_to_async(ws_headers)(reviewer)
    second = await database_sync_to_async(ws_headers)(staff)
    async with (
        connected(f"/ws/runs/{run.pk}/", first) as a,
        connected(f"/ws/runs/{run.pk}/", second) as b,
    ):
        await a.receive_from(timeout=3)
        await b.receive_from(timeout=3)
        await database_sync_to_async(api.resume_run)(run.pk, {"approved": True}, path="approve")
        assert await a.receive_from(timeout=3) == await b.receive_from(timeout=3)
    assert len(renders) == len(set(renders))


async def test_an_ended_run_redraws_its_pipeline_without_steps_that_never_started(
    reviewer: User, review_flow
) -> None:
    run = await database_sync_to_async(run_workflow)(review_flow, {"n": 1})
    headers = await database_sync_to_async(ws_headers)(reviewer)
    async with connected(f"/ws/runs/{run.pk}/", headers) as ws:
        state = await ws.receive_from(timeout=3)
        assert f'id="planned-{run.pk}-double"' in state
        await database_sync_to_async(api.cancel_run)(run.pk, reason="enough")
        update = await ws.receive_from(timeout=3)
        assert f'id="run-{run.pk}-pipeline"' in update
        assert f'id="planned-{run.pk}-double"' not in update
