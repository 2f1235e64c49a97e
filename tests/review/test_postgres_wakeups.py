"""LISTEN/NOTIFY wake-ups (PostgreSQL without Redis), against the real server.

These talk to PostgreSQL directly, outside the test database, so they run in
both passes of the suite: NOTIFY does not care which database carries it.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import urlsplit

import psycopg
import pytest

from review.live import postgres
from review.live.notifier import Notifier
from tests.conftest import need

pytestmark = pytest.mark.postgres

SERVER_URL = os.environ.get("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")


def server_params(application_name: str) -> dict[str, Any]:
    parts = urlsplit(SERVER_URL)
    return {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or 5432,
        "user": parts.username or "postgres",
        "password": parts.password or "",
        "dbname": "postgres",
        "application_name": application_name,
    }


@pytest.fixture
def server(monkeypatch) -> Callable[[], Any]:
    """Point the module at the real server, under a name its backends can be found by."""
    name = f"handoff-test-{uuid.uuid4().hex[:12]}"
    params = server_params(name)
    try:
        psycopg.connect(**params, connect_timeout=3).close()
    except psycopg.OperationalError as error:
        need("PostgreSQL", False, str(error))
    monkeypatch.setattr(postgres, "connection_params", lambda: dict(params))
    monkeypatch.setattr(postgres, "RECONNECT_SECONDS", 0.05)

    async def terminate_backends() -> int:
        async with await psycopg.AsyncConnection.connect(
            **server_params("handoff-test-admin"), autocommit=True
        ) as admin:
            cursor = await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE application_name = %s",
                (name,),
            )
            return len(await cursor.fetchall())

    return terminate_backends


class Recorder:
    """What a hub would be told: dispatched batches and wake-everything calls."""

    def __init__(self) -> None:
        self.batches: list[dict[str, Any]] = []
        self.wakes = 0
        self.changed = asyncio.Event()

    def dispatch(self, runs: dict[str, Any]) -> None:
        self.batches.append(runs)
        self.changed.set()

    def wake_all(self) -> None:
        self.wakes += 1
        self.changed.set()

    async def until(self, condition: Callable[[], bool], timeout: float = 5.0) -> None:
        async with asyncio.timeout(timeout):
            while not condition():
                self.changed.clear()
                await self.changed.wait()


@pytest.fixture
async def listening(server) -> AsyncIterator[Recorder]:
    recorder = Recorder()
    task = asyncio.create_task(postgres.listen(recorder.dispatch, recorder.wake_all))
    await recorder.until(lambda: recorder.wakes == 1)  # LISTEN is in place
    yield recorder
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_a_published_batch_reaches_a_listener_naming_its_runs(listening: Recorder) -> None:
    await postgres.Publisher().publish({"run-a": 3, "run-b": 9})
    await listening.until(lambda: bool(listening.batches))
    assert listening.batches == [{"run-a": 3, "run-b": 9}]


async def test_a_batch_too_large_for_one_notification_wakes_every_feed(
    listening: Recorder,
) -> None:
    runs = {str(uuid.uuid4()): index for index in range(300)}
    assert postgres.payload(runs) == ""
    await postgres.Publisher().publish(runs)
    await listening.until(lambda: listening.wakes == 2)
    assert listening.batches == []


async def test_a_listener_that_lost_its_connection_reconnects_and_wakes_every_feed(
    listening: Recorder, server
) -> None:
    assert await server() == 1
    await listening.until(lambda: listening.wakes == 2)  # reconnected: read what was missed
    await postgres.Publisher().publish({"run-a": 4})
    await listening.until(lambda: bool(listening.batches))
    assert listening.batches == [{"run-a": 4}]


async def test_a_publisher_whose_connection_died_fails_once_then_reconnects(
    listening: Recorder, server
) -> None:
    publisher = postgres.Publisher()
    await publisher.publish({"run-a": 1})
    await listening.until(lambda: len(listening.batches) == 1)
    await server()  # kills the listener's backend and the publisher's
    await listening.until(lambda: listening.wakes == 2)
    with pytest.raises(psycopg.OperationalError):
        await publisher.publish({"run-a": 2})
    await publisher.publish({"run-a": 3})
    await listening.until(lambda: len(listening.batches) == 2)
    assert listening.batches[-1] == {"run-a": 3}


async def test_the_notifier_sends_its_throttled_batches_through_postgres(
    listening: Recorder, monkeypatch, settings
) -> None:
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    monkeypatch.setattr(postgres, "enabled", lambda: True)
    notifier = Notifier()  # as in a worker process: no serving loop, a private one instead
    for run_id, last in (("run-a", 3), ("run-b", 9), ("run-a", 5)):
        notifier(run_id, last)
    await listening.until(lambda: sum(len(batch) for batch in listening.batches) >= 2)
    merged: dict[str, int] = {}
    for batch in listening.batches:
        merged.update(batch)
    assert merged == {"run-a": 5, "run-b": 9}
    assert len(listening.batches) <= 2  # the first at once, the rest in one window
    notifier.close()


def test_notifications_go_through_postgres_only_without_a_cross_process_layer(
    settings,
) -> None:
    from django.db import connection

    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    assert postgres.enabled() is (connection.vendor == "postgresql")
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": ["redis://127.0.0.1:6379/15"]},
        }
    }
    assert postgres.enabled() is False


def test_a_notification_that_is_not_a_batch_means_every_run() -> None:
    assert postgres.parse("") is None
    assert postgres.parse("not json") is None
    assert postgres.parse("[1, 2]") is None
    assert postgres.parse('{"run-a": 3}') == {"run-a": 3}
