"""The notifier, the dashboard feed's low-water mark, and the visibility rule, on their own."""

from __future__ import annotations

import asyncio
import json
import threading
import uuid

import pytest
from channels.layers import get_channel_layer
from django.contrib.auth.models import AnonymousUser, User

from review.live import feeds, postgres
from review.live.feeds import DashboardFeed, Hub, RunFeed
from review.live.groups import LIVE_GROUP
from review.live.notifier import Notifier
from review.permissions import can_view_run, runs_visible_to
from tests.review.conftest import make_user
from workflows.engine.testing import run_workflow


@pytest.fixture
def in_memory_layer(settings, monkeypatch) -> None:
    """The embedded layer on its own: nothing crosses processes, not even through PostgreSQL."""
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    monkeypatch.setattr(postgres, "enabled", lambda: False)


def test_without_a_serving_loop_the_in_memory_notifier_does_nothing(in_memory_layer) -> None:
    Notifier()(str(uuid.uuid4()), 7)  # a worker process: nobody listens here; must not fail


async def test_notifications_of_a_window_go_out_as_one_message_listing_every_run(
    in_memory_layer,
) -> None:
    layer = get_channel_layer()
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    channel = await layer.new_channel()
    await layer.group_add(LIVE_GROUP, channel)
    notifier = Notifier()
    notifier.serve_on(asyncio.get_running_loop())

    def commit_four() -> None:  # as after-commit hooks in another thread would
        for run_id, last in ((first, 3), (second, 9), (first, 5), (first, 4)):
            notifier(run_id, last)

    thread = threading.Thread(target=commit_four)
    thread.start()
    thread.join()
    message = await asyncio.wait_for(layer.receive(channel), 2)
    assert message == {"type": "runs.changed", "runs": {first: 5, second: 9}}
    with pytest.raises(TimeoutError):  # one message for four commits of two runs
        await asyncio.wait_for(layer.receive(channel), 0.1)
    await layer.flush()


async def test_the_hub_wakes_only_the_feeds_of_the_runs_named() -> None:
    hub = Hub()
    watched, other = RunFeed("a"), RunFeed("b")
    hub.runs = {"a": watched, "b": other}
    hub.dashboard = DashboardFeed()
    hub.dispatch({"a": 12, "c": 3})
    assert watched._wake.is_set() and not other._wake.is_set()
    assert hub.dashboard._notified == {"a", "c"} and hub.dashboard._wake.is_set()


async def test_a_failing_layer_never_breaks_the_caller(in_memory_layer, monkeypatch) -> None:
    layer = get_channel_layer()

    async def broken(*args, **kwargs):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(layer, "group_send", broken)
    notifier = Notifier()
    notifier.serve_on(asyncio.get_running_loop())
    notifier(str(uuid.uuid4()), 1)
    await asyncio.sleep(0.05)
    notifier(str(uuid.uuid4()), 2)  # still schedules after a failed send
    await asyncio.sleep(0.05)
    assert not notifier._scheduled


def test_dashboard_low_water_mark_waits_for_ids_that_may_still_commit(monkeypatch) -> None:
    feed = DashboardFeed()
    feed.low = 10
    feed._seen = {11, 13}
    feed._advance(13)
    assert feed.low == 11  # 12 may belong to a transaction that has not committed yet
    feed._seen.add(12)
    feed._advance(13)
    assert feed.low == 13 and not feed._gaps
    feed._seen = {15}
    feed._advance(15)
    assert feed.low == 13
    monkeypatch.setattr(feeds, "GAP_SECONDS", 0.0)
    feed._advance(15)
    assert feed.low == 15  # given up: a rolled-back id never commits


@pytest.mark.django_db
def test_visibility_rule_by_role(review_flow) -> None:
    creator = make_user("cora")
    roles = {
        "staff": make_user("st", staff=True),
        "reviewer": make_user("re", group="Reviewers"),
        "editor": make_user("ed", group="Editors"),
        "admin": make_user("ad", group="Admins"),
    }
    stranger = make_user("stranger")
    mine = run_workflow(review_flow, {"n": 1}, actor=creator)
    other = run_workflow(review_flow, {"n": 2})
    for user in roles.values():
        assert set(runs_visible_to(user)) == {mine, other}
        assert can_view_run(user, mine) and can_view_run(user, other)
    assert list(runs_visible_to(creator)) == [mine]
    assert can_view_run(creator, mine) and not can_view_run(creator, other)
    assert not runs_visible_to(stranger).exists() and not can_view_run(stranger, mine)
    assert not runs_visible_to(AnonymousUser()).exists()
    User.objects.filter(pk=creator.pk).update(is_active=False)
    creator.refresh_from_db()
    assert not can_view_run(creator, mine)


async def test_the_sqlite_watch_fires_when_a_file_changes(tmp_path, settings) -> None:
    from review.live import watch

    settings.HANDOFF_LIVE_WATCH_SECONDS = 0.01
    database = tmp_path / "db.sqlite3"
    database.write_bytes(b"x")
    changed = asyncio.Event()
    task = asyncio.create_task(watch.watch([str(database), f"{database}-wal"], changed.set))
    await asyncio.sleep(0.05)
    assert not changed.is_set()
    (tmp_path / "db.sqlite3-wal").write_bytes(b"commit")
    await asyncio.wait_for(changed.wait(), 1)
    task.cancel()


def test_the_sqlite_watch_is_only_for_embedded_mode(settings) -> None:
    from django.db import connection

    from review.live import watch

    expected = connection.vendor == "sqlite" and not settings.REDIS_URL
    assert bool(watch.watched_files()) == expected


def test_a_sqlite_process_never_loads_the_postgresql_driver() -> None:
    """Its objects would lengthen every full garbage collection (docs/benchmarks.md)."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    probe = (
        "import sys, django; django.setup();"
        "from config import asgi;"
        "sys.exit('psycopg' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode()


# --- messages small enough for daphne (review/live/messages.py) ----------------------------


def test_pointers_escape_slashes_and_tildes_both_ways() -> None:
    from review.live import messages

    path = ("context", "a/b~c", 0)
    assert messages.pointer(path) == "/context/a~1b~0c/0"
    assert messages.parse_pointer(messages.pointer(path)) == ["context", "a/b~c", "0"]
    document = {"context": {"a/b~c": [{"x": 1}]}}
    assert messages.resolve(document, ["context", "a/b~c", "0"]) == {"x": 1}
    with pytest.raises(KeyError):
        messages.resolve(document, ["context", "missing"])
    with pytest.raises(ValueError):
        messages.parse_pointer("no-slash")


def test_the_largest_values_are_deferred_first_until_the_message_fits() -> None:
    from review.live import messages

    document = {"a": "x" * 5000, "b": "y" * 3000, "c": "z" * 100, "keep": 1}
    paths = [("a",), ("b",), ("c",)]
    shown, deferred = messages.defer(document, paths, lambda p: f"/get?p={p}", 3500)
    assert shown == {"a": None, "b": "y" * 3000, "c": "z" * 100, "keep": 1}
    assert deferred == [{"pointer": "/a", "bytes": 5002, "url": "/get?p=/a"}]
    assert document["a"] == "x" * 5000  # the original is left alone
    shown, deferred = messages.defer(document, paths, str, 300)
    assert [item["pointer"] for item in deferred] == ["/a", "/b"]
    untouched, none = messages.defer(document, paths, str, 10_000)
    assert untouched is document and none == []


def test_a_state_whose_structure_alone_is_too_big_defers_whole_sections() -> None:
    from review.live import messages

    run_id = str(uuid.uuid4())
    context = {f"item-{i}": {"output": i, "input": i} for i in range(2000)}
    snapshot = {"run_id": run_id, "as_of_event_id": 9, "context": context, "status": "running"}
    message = json.loads(messages.state_message(snapshot, budget=20_000))
    assert len(json.dumps(message)) <= 20_000
    assert message["snapshot"]["context"] is None and message["snapshot"]["status"] == "running"
    assert [item["pointer"] for item in message["deferred"]] == ["/context"]
    assert message["deferred"][0]["url"] == f"/api/runs/{run_id}/snapshot?pointer=/context"


def test_html_parts_are_packed_and_an_oversized_one_fetches_itself() -> None:
    from review.live import messages

    small = ['<div id="a">1</div>', '<div id="b">2</div>']
    assert messages.pack(small, "/runs/x/", budget=1000) == ["".join(small)]
    assert messages.pack(small, "/runs/x/", budget=25) == small
    big = '<div class="pipeline" id="run-x-pipeline">' + "y" * 5000 + "</div>"
    (sent,) = messages.pack([big], "/runs/x/", budget=1000)
    assert 'id="run-x-pipeline"' in sent and 'hx-select="#run-x-pipeline"' in sent
    assert 'hx-get="/runs/x/"' in sent and 'hx-trigger="load"' in sent
    assert messages.pack(["<p>" + "z" * 5000 + "</p>"], "/runs/x/", budget=1000) == []


def test_streamed_text_and_timeline_items_come_in_parts_that_fit(settings) -> None:
    from review import rendering

    settings.HANDOFF_LIVE_MESSAGE_BYTES = 800
    events = [
        {"execution_id": 7, "type": "step.output", "data": {"type": "token", "data": {"text": t}}}
        for t in ['"quoted" ' * 100, "<b>" * 100]
    ]
    parts = rendering._streamed_tokens(events, set())
    assert len(parts) > 1 and all(len(part.encode()) <= 800 for part in parts)
    assert all(part.startswith('<div hx-swap-oob="beforeend:#stream-7">') for part in parts)
