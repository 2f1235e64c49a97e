"""Definitions a run cannot use: never accepted silently, never a run stuck without a word.

An uncommitted ``Workflow`` is refused at start. A run whose workflow the
claiming worker does not define (a rolling deploy) waits, says why, is tried
again, and fails with a clear message after ``HANDOFF_MISSING_WORKFLOW_SECONDS``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from tests.workflows.flows import Number, add_one, chain, double, unique
from workflows.engine import Workflow, api, queue, ticker, worker
from workflows.engine.builder import COMMITTED
from workflows.engine.errors import DefinitionError
from workflows.engine.testing import drain
from workflows.models import ExecutionStatus, RunStatus, StepExecution, WorkflowRun

pytestmark = pytest.mark.django_db


def run_queued() -> None:
    while queue.manual_queue:
        worker.run_execution(queue.manual_queue.popleft())


def make_due(run: WorkflowRun) -> None:
    StepExecution.objects.filter(run=run, status=ExecutionStatus.WAITING).update(
        wake_at=timezone.now() - timedelta(seconds=1)
    )


@pytest.fixture
def deployed() -> Iterator[Workflow]:
    """A workflow that this process forgets, as an old worker in a rolling deploy would lack it."""
    workflow = chain("deploy", add_one, double)
    yield workflow
    COMMITTED[workflow.id] = workflow


def forget(workflow: Workflow) -> None:
    COMMITTED.pop(workflow.id)


def test_an_uncommitted_workflow_is_refused_and_nothing_starts() -> None:
    draft = Workflow(unique("draft"), input=Number).then(add_one)
    with pytest.raises(DefinitionError, match=r"not committed; call \.commit\(\)"):
        api.start_run(draft, {"n": 1})
    assert not WorkflowRun.objects.exists()


def test_a_definition_replaced_under_the_same_id_is_refused() -> None:
    first = chain("replaced", add_one)
    second = Workflow(first.id, input=Number).then(double).commit()
    with pytest.raises(DefinitionError, match="replaced by a later commit"):
        api.start_run(first, {"n": 1})
    assert api.start_run(second, {"n": 1}).workflow_id == first.id


def test_a_step_of_a_workflow_this_worker_lacks_waits_says_why_and_is_retried(
    deployed: Workflow, admin_user: User
) -> None:
    run = api.start_run(deployed, {"n": 1})
    forget(deployed)
    run_queued()
    row = StepExecution.objects.get(run=run, path_key="add_one")
    assert row.status == ExecutionStatus.WAITING
    assert "is not registered on a worker" in row.error["message"]
    retrying = run.events.get(type="step.retrying")
    assert retrying.data["reason"] == "workflow_not_registered"
    run.refresh_from_db()
    assert run.status == RunStatus.RUNNING

    client = Client()
    client.force_login(admin_user)
    page = client.get(f"/runs/{run.pk}/")
    assert page.status_code == 200 and "is not registered on a worker" in page.text
    admin = client.get(f"/admin/workflows/stepexecution/{row.pk}/change/")
    assert admin.status_code == 200 and "is not registered on a worker" in admin.text

    make_due(run)
    ticker.tick()
    run_queued()  # still missing: waits longer, once more in the log
    assert run.events.filter(type="step.retrying").count() == 2
    row.refresh_from_db()
    assert row.wake_at > timezone.now() + timedelta(seconds=3)  # backoff: 2 s, then 4 s

    COMMITTED[deployed.id] = deployed  # the new version reached this worker
    make_due(run)
    drain()
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCESS and run.result == {"n": 4}
    row.refresh_from_db()
    assert row.error is None and "definition_missing_since" not in row.bookkeeping


def test_after_the_configured_period_the_run_fails_with_what_to_do(
    deployed: Workflow, settings
) -> None:
    settings.HANDOFF_MISSING_WORKFLOW_SECONDS = 0
    run = api.start_run(deployed, {"n": 1})
    forget(deployed)
    run_queued()
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert "HANDOFF_MISSING_WORKFLOW_SECONDS" in run.error["message"]
    assert "retry the step" in run.error["message"]
    types = list(run.events.order_by("id").values_list("type", flat=True))
    assert types[-2:] == ["step.failed", "run.failed"]


def test_a_due_sleep_and_a_lost_lease_of_such_a_run_wait_too(settings) -> None:
    workflow = Workflow(unique("sleepy"), input=Number).sleep(0.01, id="nap").then(add_one)
    workflow.commit()
    run = api.start_run(workflow, {"n": 1})
    forget(workflow)
    try:
        make_due(run)
        assert ticker.tick().timers_fired == 1
        nap = StepExecution.objects.get(run=run, path_key="nap")
        assert nap.status == ExecutionStatus.WAITING and nap.wake_at > timezone.now()
        StepExecution.objects.filter(pk=nap.pk).update(
            status=ExecutionStatus.RUNNING, lease_expires_at=timezone.now() - timedelta(seconds=1)
        )
        assert ticker.tick().leases_expired == 1
        nap.refresh_from_db()
        assert nap.status == ExecutionStatus.WAITING
    finally:
        COMMITTED[workflow.id] = workflow


def test_a_run_whose_workflow_is_gone_can_still_be_canceled(deployed: Workflow) -> None:
    run = api.start_run(deployed, {"n": 1})
    forget(deployed)
    api.cancel_run(run.pk, reason="retired")
    run.refresh_from_db()
    assert run.status == RunStatus.CANCELED


def test_one_failing_timer_does_not_hold_up_the_others(monkeypatch) -> None:
    first = api.start_run(Workflow(unique("t1"), input=Number).sleep(0).commit(), {"n": 1})
    second = api.start_run(Workflow(unique("t2"), input=Number).sleep(0).commit(), {"n": 1})
    original = ticker.fire_timer
    broken = StepExecution.objects.get(run=first, kind="sleep").pk

    def fire(execution_id: int) -> bool:
        if execution_id == broken:
            raise RuntimeError("database hiccup")
        return original(execution_id)

    monkeypatch.setattr(ticker, "fire_timer", fire)
    make_due(first)
    make_due(second)
    assert ticker.tick().timers_fired == 1
    second.refresh_from_db()
    assert second.status == RunStatus.SUCCESS
