"""A successful step recorded in one statement while its run is as its worker left it.

``workflows.engine.optimistic``: the statement writes nothing if the run's row
changed since the worker wrote it or the claim was lost, and then the step is
recorded under the run lock, once. Changes made in the test's own transaction
give the run's row a new ``ctid``; ``test_commit_races`` covers other
transactions' changes (a new ``xmin``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.db.models import Model
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.workflows.flows import add_one, chain
from workflows.engine import api, entry, optimistic, queue
from workflows.engine.outcomes import Claim, Completed
from workflows.engine.testing import drain
from workflows.engine.worker import evaluate
from workflows.models import EventType, ExecutionStatus, RunStatus, StepExecution, WorkflowRun

pytestmark = pytest.mark.django_db
postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite records every step under the lock"
)
ONE_STATEMENT = "WITH unchanged AS"
LOCKED = "WITH locked AS"


def _second_step(name: str, length: int = 3) -> tuple[WorkflowRun, Claim]:
    """A run of a chain, its first step recorded, its second claimed inline."""
    steps = [add_one.with_id(f"s{index}") for index in range(length)]
    run = api.start_run(chain(name, *steps), {"n": 0})
    first = entry.claim(queue.manual_queue.popleft())
    assert first is not None
    claimed = entry.commit(first, evaluate(first), continue_inline=True)
    assert claimed is not None and claimed.execution.path_key == "s1"
    return run, claimed


def _commit_captured(claimed: Claim) -> tuple[Claim | None, list[str]]:
    outcome = evaluate(claimed)
    with CaptureQueriesContext(connection) as captured:
        following = entry.commit(claimed, outcome, continue_inline=True)
    return following, [query["sql"] for query in captured.captured_queries]


def _heads(statements: list[str]) -> list[str]:
    transactions = ("SAVEPOINT", "RELEASE SAVEPOINT")  # the test's own transaction nests them
    return [" ".join(sql.split()[:3]) for sql in statements if not sql.startswith(transactions)]


def _run_to_the_end(claimed: Claim | None) -> None:
    """What a worker does with the claims it is handed inline."""
    while claimed is not None:
        claimed = entry.commit(claimed, evaluate(claimed), continue_inline=True)


def _completed(run: WorkflowRun, path_key: str) -> int:
    return run.events.filter(type=EventType.STEP_COMPLETED, path_key=path_key).count()


def _fields(obj: Model) -> dict[str, Any]:
    return {name: value for name, value in vars(obj).items() if name != "_state"}


@postgres_only
def test_a_step_of_a_run_as_its_worker_left_it_is_one_statement() -> None:
    run, claimed = _second_step("one")
    following, statements = _commit_captured(claimed)
    assert _heads(statements) == [ONE_STATEMENT]
    assert following is not None and following.execution.path_key == "s2"
    assert following.run_version is not None and following.run_version != claimed.run_version
    done = StepExecution.objects.get(pk=claimed.execution.pk)
    assert done.status == ExecutionStatus.SUCCESS and done.output == {"n": 2}
    assert done.claim_token is None and done.lease_expires_at is None
    started = StepExecution.objects.get(pk=following.execution.pk)
    assert started.status == ExecutionStatus.RUNNING and started.claim_token == following.token
    assert started.attempts == 1 and started.started_at == done.finished_at
    run.refresh_from_db()
    assert run.steps_completed == 2 and run.status == RunStatus.RUNNING
    last_two = list(run.events.order_by("-id")[:2])
    assert [(e.type, e.path_key) for e in reversed(last_two)] == [
        (EventType.STEP_COMPLETED, "s1"),
        (EventType.STEP_STARTED, "s2"),
    ]
    assert run.last_event_id == last_two[0].id and last_two[0].execution_id == started.pk


@postgres_only
def test_a_step_of_a_run_changed_since_is_recorded_under_the_lock_once() -> None:
    run, claimed = _second_step("changed")
    WorkflowRun.objects.filter(pk=run.pk).update(updated_at=timezone.now())
    following, statements = _commit_captured(claimed)
    heads = _heads(statements)
    assert heads[0] == ONE_STATEMENT and LOCKED in heads
    assert following is not None and following.execution.path_key == "s2"
    run.refresh_from_db()
    assert run.steps_completed == 2 and _completed(run, "s1") == 1
    assert run.events.filter(type=EventType.STEP_STARTED, path_key="s2").count() == 1
    _run_to_the_end(following)
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCESS and run.result == {"n": 3}


@postgres_only
def test_the_claims_objects_are_put_back_when_the_statement_writes_nothing() -> None:
    run, claimed = _second_step("put-back")
    assert claimed.parent is not None
    kept = [claimed.run, claimed.execution, claimed.parent]
    before = [_fields(obj) for obj in kept]
    outcome = evaluate(claimed)
    assert isinstance(outcome, Completed)
    WorkflowRun.objects.filter(pk=run.pk).update(updated_at=timezone.now())
    assert optimistic.commit(claimed, outcome, continue_inline=True) == (False, None)
    assert [_fields(obj) for obj in kept] == before
    assert StepExecution.objects.get(pk=claimed.execution.pk).status == ExecutionStatus.RUNNING


@postgres_only
def test_a_step_whose_transition_must_read_first_sends_nothing_before_the_lock() -> None:
    """The last step ends the workflow and the run, which saves the root row first: its
    statement is refused before it is sent, and the step is recorded under the lock."""
    run, claimed = _second_step("last", length=2)
    following, statements = _commit_captured(claimed)
    assert following is None
    assert None not in statements and _heads(statements)[0] == LOCKED
    assert ONE_STATEMENT not in _heads(statements)
    assert not connection.needs_rollback
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCESS and run.result == {"n": 2}
    assert run.steps_completed == 2 and _completed(run, "s1") == 1


@postgres_only
def test_the_result_of_a_step_whose_run_was_canceled_since_is_dropped() -> None:
    run, claimed = _second_step("cancel")
    outcome = evaluate(claimed)
    api.cancel_run(run.pk, reason="stop")
    assert entry.commit(claimed, outcome, continue_inline=True) is None
    row = StepExecution.objects.get(pk=claimed.execution.pk)
    assert row.status == ExecutionStatus.CANCELED and row.output is None
    run.refresh_from_db()
    assert run.status == RunStatus.CANCELED and run.steps_completed == 1
    assert _completed(run, "s1") == 0 and not run.executions.filter(path_key="s2").exists()


@postgres_only
def test_the_result_of_a_step_whose_lease_expired_since_is_discarded() -> None:
    run, claimed = _second_step("lease")
    outcome = evaluate(claimed)
    pk = claimed.execution.pk
    StepExecution.objects.filter(pk=pk).update(lease_expires_at=timezone.now() - timedelta(1))
    assert entry.expire_lease(pk)
    assert entry.commit(claimed, outcome, continue_inline=True) is None
    row = StepExecution.objects.get(pk=pk)
    assert row.status == ExecutionStatus.PENDING and row.output is None and row.attempts == 1
    assert _completed(run, "s1") == 0
    drain()
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCESS and run.result == {"n": 3}
    assert StepExecution.objects.get(pk=pk).attempts == 2


@pytest.mark.skipif(connection.vendor == "postgresql", reason="SQLite only")
def test_on_sqlite_a_claim_has_no_version_and_every_step_is_recorded_under_the_lock() -> None:
    run, claimed = _second_step("sqlite")
    assert claimed.run_version is None
    following, statements = _commit_captured(claimed)
    assert following is not None and not any(ONE_STATEMENT in sql for sql in statements)
    _run_to_the_end(following)
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCESS and run.steps_completed == 3
