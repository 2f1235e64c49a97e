"""A short lease renewed while the step runs: a dead worker is noticed fast, a slow step is not.

With ``HANDOFF_LEASE_SECONDS`` the claim holds for that long and the worker
renews it (a heartbeat thread) up to the attempt's limit (timeout + grace).
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone

from tests.workflows.flows import Number, chain
from workflows.engine import StepContext, api, queue, step, ticker, worker
from workflows.engine.entry import claim
from workflows.models import EventType, ExecutionStatus, RunStatus, StepExecution

pytestmark = pytest.mark.django_db(transaction=True)


@step(input=Number, output=Number, timeout=30)
def slow(ctx: StepContext[Number]) -> Number:
    time.sleep(2.5)
    return ctx.input


def test_a_step_longer_than_the_short_lease_keeps_its_claim(settings) -> None:
    settings.HANDOFF_LEASE_SECONDS = 1.0
    run = api.start_run(chain("beat", slow), {"n": 1})
    execution_id = queue.manual_queue.popleft()

    def work() -> None:
        try:
            worker.run_execution(execution_id)
        finally:
            connections.close_all()

    thread = threading.Thread(target=work)
    thread.start()
    expired = 0
    while thread.is_alive():
        expired += ticker.tick().leases_expired
        time.sleep(0.1)
    thread.join()
    run.refresh_from_db()
    assert expired == 0 and run.status == RunStatus.SUCCESS
    row = StepExecution.objects.get(run=run, path_key="slow")
    assert row.attempts == 1
    assert not run.events.filter(type=EventType.STEP_RETRYING).exists()


def test_a_claim_whose_worker_died_expires_after_the_short_lease(settings) -> None:
    settings.HANDOFF_LEASE_SECONDS = 1.0
    run = api.start_run(chain("dead", slow), {"n": 1})
    claimed = claim(queue.manual_queue.popleft())  # claimed, then the worker "dies"
    assert claimed is not None
    row = StepExecution.objects.get(pk=claimed.execution.pk)
    left = (row.lease_expires_at - timezone.now()).total_seconds()
    assert 0 < left <= 1.0  # not the step's 30 s timeout + grace
    time.sleep(1.2)
    assert ticker.tick().leases_expired == 1
    row.refresh_from_db()
    assert row.status == ExecutionStatus.PENDING
    retry = run.events.get(type=EventType.STEP_RETRYING)
    assert "stopped renewing its 1s lease" in retry.data["error"]["message"]


def test_without_the_setting_the_lease_is_the_whole_attempt(settings) -> None:
    settings.HANDOFF_LEASE_SECONDS = 0
    settings.HANDOFF_LEASE_GRACE_SECONDS = 15
    api.start_run(chain("whole", slow), {"n": 1})
    claimed = claim(queue.manual_queue.popleft())
    assert claimed is not None
    lease = StepExecution.objects.get(pk=claimed.execution.pk).lease_expires_at
    assert timedelta(seconds=44) < lease - timezone.now() <= timedelta(seconds=45)
