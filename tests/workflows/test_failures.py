"""Retries with backoff, failing runs, admin retry, cancel, bail and definition changes."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.workflows.flows import (
    Number,
    add_one,
    approve,
    calls,
    chain,
    counted,
    double,
    flaky,
    unique,
)
from workflows.engine import Workflow, api, snapshot, step
from workflows.engine.errors import DefinitionChanged, RunNotActive, StepNotRetryable
from workflows.engine.testing import drain, resume_and_drain, run_workflow
from workflows.engine.ticker import tick
from workflows.models import EventType, ExecutionStatus, RunStatus, StepExecution

pytestmark = pytest.mark.django_db


def test_a_step_is_retried_with_backoff_until_it_succeeds() -> None:
    run = run_workflow(chain("retry", flaky), {"n": 3})
    assert run.status == RunStatus.SUCCESS
    assert run.result == {"n": 3}
    retries = run.events.filter(type=EventType.STEP_RETRYING)
    assert [e.data["delay_seconds"] for e in retries] == [0.01, 0.02]
    assert "attempt 1 failed" in retries[0].data["error"]["message"]


def test_a_step_that_exhausts_its_retries_fails_the_run_keeping_the_error() -> None:
    run = run_workflow(chain("exhaust", add_one, flaky), {"n": 10})
    assert run.status == RunStatus.FAILED
    assert calls["flaky"] == 3
    assert run.error["type"] == "ConnectionError"
    row = run.executions.get(path_key="flaky")
    assert row.status == ExecutionStatus.FAILED and "Traceback" in row.error["traceback"]
    assert "traceback" not in snapshot(run.pk)["error"]


def test_an_exception_marked_not_retryable_fails_at_once() -> None:
    class Refused(Exception):
        retryable = False

    @step(input=Number, output=Number, retries=5)
    def refuse(ctx):
        counted("refuse")
        raise Refused("that address is not allowed")

    run = run_workflow(chain("refused", refuse), {"n": 1})
    assert run.status == RunStatus.FAILED
    assert calls["refuse"] == 1
    assert (run.error["type"], run.error["message"]) == ("Refused", "that address is not allowed")


def test_admin_retry_runs_only_the_failed_step_and_completes_the_run() -> None:
    attempts = {"n": 0}

    @step(input=Number, output=Number)
    def fails_once(ctx):
        attempts["n"] += 1
        if attempts["n"] == 1:
            raise RuntimeError("upstream down")
        return ctx.input

    run = run_workflow(chain("admin", add_one, fails_once, double), {"n": 1})
    assert run.status == RunStatus.FAILED
    api.retry_step(run.pk, "fails_once")
    drain()
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCESS and run.result == {"n": 4}
    assert calls["add-one"] == 1
    assert run.events.filter(type=EventType.RUN_RETRIED).count() == 1


def test_retrying_when_nothing_failed_is_refused() -> None:
    run = run_workflow(chain("nothing", add_one), {"n": 1})
    with pytest.raises(StepNotRetryable, match="no failed step"):
        api.retry_step(run.pk)


def test_admin_retry_of_a_failed_parallel_branch_keeps_the_other_branch() -> None:
    attempts = {"n": 0}

    @step(input=Number, output=Number)
    def once(ctx):
        attempts["n"] += 1
        if attempts["n"] == 1:
            raise RuntimeError("first time")
        return Number(n=99)

    workflow = Workflow(unique("pretry"), input=Number).parallel([add_one, once]).commit()
    run = run_workflow(workflow, {"n": 1})
    assert run.status == RunStatus.FAILED
    api.retry_step(run.pk, "once")
    drain()
    run.refresh_from_db()
    assert run.result == {"add_one": {"n": 2}, "once": {"n": 99}}
    assert calls["add-one"] == 1


def test_cancel_stops_pending_work_and_closes_questions() -> None:
    workflow = (
        Workflow(unique("cancel"), input=Number)
        .parallel([approve, add_one])
        .map(lambda c: c.input["add_one"], output=Number)
        .then(double)
        .commit()
    )
    run = api.start_run(workflow, {"n": 1})
    drain()
    api.cancel_run(run.pk, reason="duplicate request")
    drain()
    run.refresh_from_db()
    assert run.status == RunStatus.CANCELED
    assert "double" not in calls
    assert run.executions.get(path_key="approve").status == ExecutionStatus.CANCELED
    assert run.events.get(type=EventType.RUN_CANCELED).data == {"reason": "duplicate request"}
    with pytest.raises(RunNotActive):
        api.cancel_run(run.pk)
    with pytest.raises(RunNotActive):
        api.resume_run(run.pk, {"approved": True})


def test_a_running_step_sees_the_cancel_flag_and_its_result_is_discarded() -> None:
    @step(input=Number, output=Number)
    def cooperative(ctx):
        api.cancel_run(ctx.run_id)
        time.sleep(0.3)
        assert ctx.is_canceled()
        ctx.raise_if_canceled()
        return ctx.input

    run = run_workflow(chain("coop", cooperative, double), {"n": 1})
    assert run.status == RunStatus.CANCELED
    assert run.executions.get(path_key="cooperative").status == ExecutionStatus.CANCELED
    assert "double" not in calls


def test_bail_ends_the_run_successfully_with_its_result() -> None:
    @step(input=Number, output=Number)
    def reject(ctx):
        ctx.bail({"rejected": True, "reason": "off topic"})

    workflow = (
        Workflow(unique("bail"), input=Number)
        .parallel([approve, reject])
        .map(lambda c: {"n": 1}, output=Number)
        .then(double)
        .commit()
    )
    run = run_workflow(workflow, {"n": 1})
    assert run.status == RunStatus.SUCCESS and run.bailed
    assert run.result == {"rejected": True, "reason": "off topic"}
    assert run.executions.get(path_key="approve").status == ExecutionStatus.SKIPPED
    assert "double" not in calls
    assert snapshot(run.pk)["suspended_paths"] == []


def test_resume_after_a_deploy_that_kept_the_step_uses_the_new_definition() -> None:
    name = unique("deploy")
    Workflow(name, input=Number, output=Number).then(add_one).then(approve).commit()
    run = run_workflow(name, {"n": 1})
    Workflow(name, input=Number, output=Number).then(add_one).then(approve).then(double).commit()
    run = resume_and_drain(run, {"approved": True}, path="approve")
    assert run.status == RunStatus.SUCCESS and run.result == {"n": 4}


def test_resume_after_a_deploy_that_removed_the_step_names_it() -> None:
    name = unique("removed")
    Workflow(name, input=Number, output=Number).then(add_one).then(approve).commit()
    run = run_workflow(name, {"n": 1})
    Workflow(name, input=Number, output=Number).then(add_one).then(double).commit()
    with pytest.raises(DefinitionChanged, match="step 'approve' no longer exists"):
        api.resume_run(run.pk, {"approved": True}, path="approve")
    run.refresh_from_db()
    assert run.status == RunStatus.SUSPENDED


def test_a_worker_that_vanished_mid_step_loses_nothing() -> None:
    run = api.start_run(chain("lease", add_one, double), {"n": 1})
    from workflows.engine import entry, outcomes, queue

    claimed = entry.claim(queue.manual_queue.popleft())
    assert claimed is not None
    StepExecution.objects.filter(pk=claimed.execution.pk).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert tick().leases_expired == 1
    drain()
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCESS and run.result == {"n": 4}
    late = entry.commit(claimed, outcomes.Completed({"n": 1000}), continue_inline=False)
    assert late is None
    run.refresh_from_db()
    assert run.result == {"n": 4}
    assert run.events.filter(type=EventType.STEP_COMPLETED, path_key="add_one").count() == 1


def test_a_step_losing_its_lease_too_often_fails_with_the_reason() -> None:
    run = api.start_run(chain("lost", add_one), {"n": 1})
    from workflows.engine import entry, queue

    for _ in range(3):
        claimed = entry.claim(queue.manual_queue.popleft())
        StepExecution.objects.filter(pk=claimed.execution.pk).update(
            lease_expires_at=timezone.now() - timedelta(seconds=1)
        )
        tick()
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert "did not finish within 300s" in run.error["message"]


def test_lost_queue_messages_are_sent_again() -> None:
    from workflows.engine import queue

    run = api.start_run(chain("lostmsg", add_one), {"n": 1})
    queue.manual_queue.clear()
    StepExecution.objects.filter(run=run, status="pending").update(
        enqueued_at=timezone.now() - timedelta(minutes=5)
    )
    assert tick().requeued == 1
    drain()
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCESS
