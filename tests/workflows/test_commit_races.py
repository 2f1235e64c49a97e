"""A step's result arriving while another transition holds its run: the other one wins.

On PostgreSQL a worker records a step's success in one statement, either with
the run lock (``rows.lock_run_and_finish``, the locked path) or as the whole
step, written only if the run is as the worker left it (``rows.write_step``,
the one-statement path of ``workflows.engine.optimistic``). These tests hold the
run lock in the test, let a worker's commit wait on it, change the run under
the lock (a new ``xmin``), and check that the waiting commit sees the change
instead of overwriting it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
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


ONE_STATEMENT = "one statement"


@pytest.fixture(params=["locked", ONE_STATEMENT])
def path(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _claimed_step(name: str, path: str) -> tuple[WorkflowRun, Claim, str]:
    """A claimed step of a three-step chain, and the id of the step after it.

    On the locked path it is the first step, claimed from the queue. On the
    one-statement path it is the second, claimed inline once the first was
    recorded, so the worker holds the run as it left it.
    """
    run = api.start_run(
        chain(name, *[add_one.with_id(f"s{index}") for index in range(3)]), {"n": 1}
    )
    claimed = entry.claim(queue.manual_queue.popleft())
    assert claimed is not None
    if path == "locked":
        return run, claimed, "s1"
    claimed = entry.commit(claimed, Completed({"n": 2}), continue_inline=True)
    assert claimed is not None and claimed.run_version is not None
    return run, claimed, "s2"


@contextmanager
def _commit_waiting_on_the_run_lock(run: WorkflowRun, claimed: Claim) -> Iterator[list[Any]]:
    """Hold the run lock, start the worker's commit in a thread, and yield once it waits.
    The lock is released when the block ends; the list then holds the commit's result
    and the first words of each statement it ran."""
    results: list[Any] = []

    def commit() -> None:
        try:
            with CaptureQueriesContext(connection) as captured:
                following = entry.commit(claimed, Completed({"n": 2}), continue_inline=True)
            results.append(following)
            heads = [" ".join(q["sql"].split()[:3]) for q in captured.captured_queries]
            results.append([head for head in heads if head not in ("BEGIN", "COMMIT")])
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


def _first_statement(path: str) -> str:
    return "WITH unchanged AS" if path == ONE_STATEMENT else "WITH locked AS"


def test_a_result_that_waited_while_the_run_was_canceled_is_dropped(path: str) -> None:
    run, claimed, following = _claimed_step("race-cancel", path)
    done = run.steps_completed if path == "locked" else 1
    with _commit_waiting_on_the_run_lock(run, claimed) as results:
        api.cancel_run(run.pk, reason="stop")
    assert results[0] is None and results[1][0] == _first_statement(path)
    row = StepExecution.objects.get(pk=claimed.execution.pk)
    assert row.status == ExecutionStatus.CANCELED and row.output is None
    assert _completed_events(run, row.path_key) == 0
    run.refresh_from_db()
    assert run.status == RunStatus.CANCELED and run.steps_completed == done
    assert not run.executions.filter(path_key=following).exists()


def test_a_result_that_waited_while_its_lease_expired_is_discarded(path: str) -> None:
    run, claimed, _ = _claimed_step("race-lease", path)
    pk = claimed.execution.pk
    with _commit_waiting_on_the_run_lock(run, claimed) as results:
        StepExecution.objects.filter(pk=pk).update(
            lease_expires_at=timezone.now() - timedelta(seconds=1)
        )
        assert entry.expire_lease(pk)
    assert results[0] is None and results[1][0] == _first_statement(path)
    row = StepExecution.objects.get(pk=pk)
    assert row.status == ExecutionStatus.PENDING and row.output is None
    assert _completed_events(run, row.path_key) == 0
    drain()
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCESS and run.result == {"n": 4}
    assert StepExecution.objects.get(pk=pk).attempts == 2


def test_a_result_that_waited_on_a_live_run_is_recorded_once_the_lock_is_free(path: str) -> None:
    run, claimed, following = _claimed_step("race-none", path)
    with _commit_waiting_on_the_run_lock(run, claimed) as results:
        pass
    assert isinstance(results[0], Claim) and results[0].execution.path_key == following
    statements = results[1]
    assert isinstance(statements, list) and statements[0] == _first_statement(path)
    if path == ONE_STATEMENT:
        assert statements == [_first_statement(path)]  # it waited, then wrote
    row = StepExecution.objects.get(pk=claimed.execution.pk)
    assert row.status == ExecutionStatus.SUCCESS and row.output == {"n": 2}
    assert _completed_events(run, row.path_key) == 1
