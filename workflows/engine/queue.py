"""Handing ready executions to workers.

``django_q`` (the default) enqueues one django-q2 task per execution. With the
ORM broker on the app's own database the task row is inserted inside the
transition's transaction, so a commit and its enqueue cannot be separated; with
Redis the enqueue happens right after commit, and the ticker re-enqueues
anything a crash lost in between. ``manual`` collects ids for tests and
``workflows.engine.testing.drain`` to run in-process.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction

from workflows.engine import conf

TASK = "workflows.engine.tasks.run_execution"

manual_queue: deque[int] = deque()


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

    for execution_id in ids:
        async_task(TASK, execution_id, save=False, ack_failure=True)


def _orm_broker_in_app_database() -> bool:
    return settings.Q_CLUSTER.get("orm") == "default" and not settings.Q_CLUSTER.get("redis")
