"""A review item's due time passes while the cluster is down: it fires once after the restart."""

from __future__ import annotations

import time

import pytest

from review.models import ReviewTask
from tests.integration.conftest import wait_for
from workflows.engine import api
from workflows.models import RunEvent, RunStatus

pytestmark = pytest.mark.cluster


def test_an_escalation_due_while_the_cluster_is_down_fires_once_after_restart(
    start_cluster,
) -> None:
    first = start_cluster(workers=1)
    run = api.start_run("cluster-due", {"n": 1})
    assert api.wait(run.pk, timeout=20).status == RunStatus.SUSPENDED
    wait_for(lambda: ReviewTask.objects.filter(run=run).exists(), 10, "the review task")
    task = ReviewTask.objects.get(run=run)
    assert task.assignee_group.name == "Reviewers" and task.overdue_at is None
    first.stop()
    time.sleep(2.5)  # the due time passes with no ticker running
    overdue = RunEvent.objects.filter(run=run, type="review.overdue")
    assert not overdue.exists()
    start_cluster(workers=2)  # two workers, two tickers: still one firing
    wait_for(overdue.exists, 15, "review.overdue after the restart")
    time.sleep(1.0)
    assert overdue.count() == 1
    assert overdue.get().data["escalated_to"] == "Admins"
    task.refresh_from_db()
    assert task.assignee_group.name == "Admins" and task.overdue_at is not None
