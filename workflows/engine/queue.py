"""Handing ready executions to workers.

``django_q`` (the default) enqueues one django-q2 task per execution. With the
ORM broker on the app's own database the task row is inserted inside the
transition's transaction, so a commit and its enqueue cannot be separated; with
Redis the enqueue happens right after commit, and the ticker re-enqueues
anything a crash lost in between. ``manual`` collects ids for tests and
``workflows.engine.testing.drain`` to run in-process.

Each process keeps one broker: django-q2 makes a new one per task otherwise,
and with Redis that is a new connection per enqueue. After an ORM enqueue
commits, the process stamps the wake file the idle cluster watches
(``workflows.engine.broker``), so the step starts without waiting out the poll.
"""

from __future__ import annotations

import contextlib
import os
from collections import deque
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction

from workflows.engine import conf

TASK = "workflows.engine.tasks.run_execution"

manual_queue: deque[int] = deque()
_brokers: dict[int, Any] = {}  # by process id: a forked worker makes its own


def backend() -> str:
    return conf.QUEUE.get()


def enqueue_after_commit(execution_ids: Iterable[int]) -> None:
    ids = list(execution_ids)
    if not ids:
        return
    if backend() == "manual":
        # Immediate, not on commit: tests wrap everything in one transaction, and an id
        # whose transition rolled back is harmless (its claim finds nothing pending).
        manual_queue.extend(ids)
        return
    if _orm_broker_in_app_database() and transaction.get_connection().in_atomic_block:
        _send(ids)
        transaction.on_commit(_wake_workers)
    else:
        transaction.on_commit(lambda: _send(ids))


def enqueue_now(execution_ids: Iterable[int]) -> None:
    ids = list(execution_ids)
    if backend() == "manual":
        manual_queue.extend(ids)
    elif ids:
        _send(ids)


def _send(ids: list[int]) -> None:
    from django_q.tasks import async_task

    broker = _broker()
    for execution_id in ids:
        async_task(TASK, execution_id, save=False, ack_failure=True, broker=broker)
    if not transaction.get_connection().in_atomic_block:
        _wake_workers()


def _broker() -> Any:
    from django_q.brokers import get_broker

    pid = os.getpid()
    if pid not in _brokers:
        _brokers.clear()
        _brokers[pid] = get_broker()
    return _brokers[pid]


def _wake_workers() -> None:
    """Stamp the wake file an idle ORM-broker cluster watches; a lost stamp costs one poll."""
    if settings.Q_CLUSTER.get("redis"):
        return  # Redis wakes its workers itself
    from workflows.engine import broker

    with contextlib.suppress(OSError):
        broker.stamp()


def _orm_broker_in_app_database() -> bool:
    return settings.Q_CLUSTER.get("orm") == "default" and not settings.Q_CLUSTER.get("redis")
