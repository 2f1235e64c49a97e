"""A step's result arriving while another transition holds its run: the other one wins.

On PostgreSQL a worker locks the run and records its step's success in one
statement (``rows.lock_run_and_finish``). These tests hold the run lock in the
test, let a worker's commit wait on it, change the run under the lock, and
check that the waiting commit sees the change instead of overwriting it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from tests.workflows.flows import add_one, chain
from workflows.engine import api, entry, queue, rows
from workflows.engine.outcomes import Claim, Completed
from workflows.engine.testing import drain
from workflows.models import EventType, ExecutionStatus, RunStatus, StepExecution, WorkflowRun

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="SQLite runs one writer at a time"
    ),
]


def _claimed_first_step(name: str) -> tuple[WorkflowRun, Claim]:
    run = api.start_run(chain(name, add_one, add_one.with_id("second")), {"n": 1})
    claimed = entry.claim(queue.manual_queue.popleft())
    assert claimed is not None
    return run, claimed


@contextmanager
def _commit_waiting_on_the_run_lock(run: WorkflowRun, claimed: Claim) -> Iterator[list[object]]:
    """Hold the run lock, start the worker's commit in a thread, and yield once it waits.
    The lock is released when the block ends; the commit's result is then in the list."""
    results: list[object] = []

    def commit() -> None:
        try:
            results.append(entry.commit(claimed, Completed({"n": 2}), continue_inline=True))
        finally:
            connection.close()

    worker = threading.Thread(target=commit)
    with transaction.atomic():
        rows.lock_run(run.pk)
        worker.start()
        _wait_until_a_session_waits_on_a_lock()
        yield results
    worker.join(timeout=10)
    assert not worker.is_alive(), "the commit never finished (a deadlock?)"


def _wait_until_a_session_waits_on_a_lock() -> None:
    """Until another session waits for a lock this one holds (``pg_locks`` is live, where
    ``pg_stat_activity`` is read once per transaction)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_locks "
                "WHERE NOT granted AND pg_backend_pid() = ANY(pg_blocking_pids(pid))"
            )
            if cursor.fetchone()[0]:
                return
        time.sleep(0.02)
    raise AssertionError("the worker's commit never waited for the run lock")


def _completed_events(run: WorkflowRun, path_key: str) -> int:
    return run.events.filter(type=EventType.STEP_COMPLETED, path_key=path_key).count()


def test_a_result_that_waited_while_the_run_was_canceled_is_dropped() -> None:
    run, claimed = _claimed_first_step("race-cancel")
    with _commit_waiting_on_the_run_lock(run, claimed) as results:
        api.cancel_run(run.pk, reason="stop")
    assert results == [None]
    row = StepExecution.objects.get(pk=claimed.execution.pk)
    assert row.status == ExecutionStatus.CANCELED and row.output is None
    assert _completed_events(run, row.path_key) == 0
    run.refresh_from_db()
    assert run.status == RunStatus.CANCELED and run.steps_completed == 0
    assert not run.executions.filter(path_key="second").exists()


def test_a_result_that_waited_while_its_lease_expired_is_discarded() -> None:
    run, claimed = _claimed_first_step("race-lease")
    pk = claimed.execution.pk
    with _commit_waiting_on_the_run_lock(run, claimed) as results:
        StepExecution.objects.filter(pk=pk).update(
            lease_expires_at=timezone.now() - timedelta(seconds=1)
        )
        assert entry.expire_lease(pk)
    assert results == [None]
    row = StepExecution.objects.get(pk=pk)
    assert row.status == ExecutionStatus.PENDING and row.output is None
    assert _completed_events(run, row.path_key) == 0
    drain()
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCESS and run.result == {"n": 3}
    assert StepExecution.objects.get(pk=pk).attempts == 2


def test_a_result_that_waited_on_a_live_run_is_recorded_once_the_lock_is_free() -> None:
    run, claimed = _claimed_first_step("race-none")
    with _commit_waiting_on_the_run_lock(run, claimed) as results:
        pass
    assert len(results) == 1 and isinstance(results[0], Claim)
    row = StepExecution.objects.get(pk=claimed.execution.pk)
    assert row.status == ExecutionStatus.SUCCESS and row.output == {"n": 2}
    assert _completed_events(run, row.path_key) == 1
