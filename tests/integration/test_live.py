"""Live observation with real processes: daphne, a worker cluster, websocket clients.

Workers tell daphne that a run changed through channels-redis when ``REDIS_URL``
is set, through LISTEN/NOTIFY on PostgreSQL without Redis, and by daphne watching
the database files on SQLite without Redis. Whichever way, a client sees the
current state first and then every event once.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.test import Client
from django_q.conf import Conf
from websockets.sync.client import ClientConnection, connect

import tests.integration.cluster_workflows  # noqa: F401 - registers them in this process too
from review.live.notifier import notifier
from review.testing import DaphneServer
from tests.integration.conftest import ROOT, cluster_env, wait_for
from workflows.engine import api, queue
from workflows.models import ExecutionStatus, RunEvent, RunStatus, StepExecution

pytestmark = pytest.mark.cluster


def open_stream(daphne: DaphneServer, path: str, user: User) -> ClientConnection:
    client = Client()
    client.force_login(user)
    cookie = client.cookies["sessionid"].value
    return connect(
        daphne.ws_url + path,
        origin=daphne.url,
        additional_headers={"Cookie": f"sessionid={cookie}"},
        open_timeout=10,
    )


def receive(ws: ClientConnection, timeout: float = 15) -> dict[str, Any]:
    return json.loads(ws.recv(timeout=timeout))


def events_until_end(ws: ClientConnection) -> list[dict[str, Any]]:
    events = []
    while True:
        message = receive(ws)
        assert message["type"] == "event"
        events.append(message["event"])
        if message["event"]["type"] in ("run.completed", "run.failed"):
            return events


def event_ids(run_id: Any, after: int = 0) -> list[int]:
    return list(
        RunEvent.objects.filter(run_id=run_id, id__gt=after)
        .order_by("id")
        .values_list("id", flat=True)
    )


@pytest.fixture
def reviewer(transactional_db: None) -> User:
    user = User.objects.create_user("rita", password="rita")
    user.groups.add(Group.objects.get_or_create(name="Reviewers")[0])
    return user


def test_connecting_during_three_parallel_branches_shows_all_three_then_every_event(
    start_cluster, daphne: DaphneServer, reviewer: User
) -> None:
    start_cluster(workers=3)
    run = api.start_run("cluster-parallel", {"seconds": 1.5})
    running = StepExecution.objects.filter(run=run, kind="step", status=ExecutionStatus.RUNNING)
    wait_for(lambda: running.count() == 3, 20, "the three branches to be running")

    with open_stream(daphne, f"/ws/runs/{run.pk}/events/", reviewer) as ws:
        state = receive(ws)
        assert state["type"] == "state"
        snapshot = state["snapshot"]
        assert sorted(snapshot["active_paths"]) == [["branch_a"], ["branch_b"], ["branch_c"]]
        assert {snapshot["context"][b]["status"] for b in ("branch_a", "branch_b", "branch_c")} == {
            "running"
        }
        events = events_until_end(ws)

    assert [event["id"] for event in events] == event_ids(run.pk, state["last_event_id"])
    completed = {tuple(e["path"]) for e in events if e["type"] == "step.completed"}
    assert completed >= {("branch_a",), ("branch_b",), ("branch_c",)}
    assert api.get_run(run.pk).status == RunStatus.SUCCESS


def test_reconnecting_with_the_last_id_gets_exactly_what_was_missed(
    start_cluster, daphne: DaphneServer, reviewer: User
) -> None:
    start_cluster(workers=1)
    run = api.start_run("cluster-live-chain", {"n": 0})
    path = f"/ws/runs/{run.pk}/events/"

    with open_stream(daphne, path, reviewer) as ws:
        first_state = receive(ws)
        before = []
        while len([e for e in before if e["type"] == "step.completed"]) < 2:
            before.append(receive(ws)["event"])
    last_seen = before[-1]["id"]
    wait_for(
        lambda: (
            RunEvent.objects.filter(run=run, id__gt=last_seen, type="step.completed").count() >= 2
        ),
        20,
        "events to happen while disconnected",
    )

    with open_stream(daphne, f"{path}?after={last_seen}", reviewer) as ws:
        state = receive(ws)
        assert state["type"] == "state" and state["last_event_id"] > last_seen
        after = events_until_end(ws)

    received = [e["id"] for e in before] + [e["id"] for e in after]
    assert received == event_ids(run.pk, first_state["last_event_id"])
    assert len(received) == len(set(received))
    assert api.get_run(run.pk).result == {"n": 8}


def test_the_run_page_and_its_htmx_scripts_are_served_by_daphne(
    daphne: DaphneServer, reviewer: User, start_cluster
) -> None:
    run = api.start_run("cluster-parallel", {"seconds": 0.01})
    client = Client()
    client.force_login(reviewer)
    cookie = client.cookies["sessionid"].value
    import urllib.request

    request = urllib.request.Request(
        f"{daphne.url}/runs/{run.pk}/", headers={"Cookie": f"sessionid={cookie}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        page = response.read().decode()
    assert f'ws-connect="/ws/runs/{run.pk}/"' in page
    with open_stream(daphne, f"/ws/runs/{run.pk}/", reviewer) as ws:
        state = ws.recv(timeout=10)
        assert f'id="run-{run.pk}-pipeline"' in state


def test_a_foreign_origin_and_anonymous_clients_are_refused_by_the_server(
    daphne: DaphneServer, reviewer: User
) -> None:
    from websockets.exceptions import InvalidStatus

    run = api.start_run("cluster-parallel", {"seconds": 0.01})
    with pytest.raises(InvalidStatus) as anonymous:
        connect(f"{daphne.ws_url}/ws/runs/{run.pk}/events/", origin=daphne.url, open_timeout=10)
    assert anonymous.value.response.status_code == 403
    client = Client()
    client.force_login(reviewer)
    cookie = {"Cookie": f"sessionid={client.cookies['sessionid'].value}"}
    # A page on another host, or on another port or scheme of this one (issue 9, defect 10).
    for origin in (
        "http://evil.example",
        "http://127.0.0.1:9999",
        f"https://127.0.0.1:{daphne.port}",
    ):
        with pytest.raises(InvalidStatus) as foreign:
            connect(
                f"{daphne.ws_url}/ws/runs/{run.pk}/events/",
                origin=origin,
                additional_headers=cookie,
                open_timeout=10,
            )
        assert foreign.value.response.status_code == 403, origin
    with connect(
        f"{daphne.ws_url}/ws/runs/{run.pk}/events/",
        origin=daphne.url,
        additional_headers=cookie,
        open_timeout=10,
    ) as ws:
        assert json.loads(ws.recv(timeout=10))["type"] == "state"


def deliveries() -> list[Any]:
    """The ways a commit can reach daphne with this pass's database and broker."""
    if "sqlite" in settings.DATABASES["default"]["ENGINE"]:
        return [pytest.param("sqlite-file-watch", id="sqlite-file-watch")]
    modes = [pytest.param("postgres-notify", id="postgres-notify")]
    if settings.REDIS_URL:
        modes.insert(0, pytest.param("redis", id="redis"))
    return modes


@pytest.fixture(params=deliveries())
def delivery(request, settings, monkeypatch) -> Iterator[dict[str, str | None]]:
    """Environment overrides for the subprocesses; this process follows them."""
    if request.param != "postgres-notify" or not settings.REDIS_URL:
        yield {}
        return
    # Run PostgreSQL without Redis here too, so runs are enqueued where the workers look.
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    settings.Q_CLUSTER = {
        **{k: v for k, v in settings.Q_CLUSTER.items() if k != "redis"},
        "orm": "default",
    }
    monkeypatch.setattr(Conf, "ORM", "default")
    # The process keeps one broker: drop the Redis one an earlier test made, before and after.
    monkeypatch.setattr(queue, "_brokers", {})
    yield {"REDIS_URL": None}
    notifier.close()  # its connection would keep the test database from being dropped


def test_events_reach_a_client_from_the_workers_without_waiting_for_the_poll(
    delivery: dict[str, str | None], start_cluster, reviewer: User
) -> None:
    start_cluster(workers=1, **delivery)
    server = DaphneServer(
        env=cluster_env(1, HANDOFF_LIVE_POLL_SECONDS="600", **delivery), cwd=str(ROOT)
    )
    try:
        run = api.start_run("cluster-live-chain", {"n": 0})
        first = StepExecution.objects.filter(run=run, kind="step")
        wait_for(first.exists, 20, "the chain to start")
        with open_stream(server, f"/ws/runs/{run.pk}/events/", reviewer) as ws:
            state = receive(ws)
            events = events_until_end(ws)  # each within 15 s: only a wake-up can deliver it
    finally:
        server.stop()
    assert [event["id"] for event in events] == event_ids(run.pk, state["last_event_id"])
    assert events[-1]["type"] == "run.completed"
