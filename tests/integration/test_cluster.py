"""The engine on a real django-q2 cluster: parallel workers, a killed worker, a restart."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from tests.integration.conftest import wait_for
from workflows.engine import api
from workflows.models import EventType, RunStatus

pytestmark = pytest.mark.cluster


def test_three_parallel_branches_run_at_once_in_different_workers(start_cluster) -> None:
    start_cluster(workers=3)
    run = api.start_run("cluster-parallel", {"seconds": 1.5})
    run = api.wait(run.pk, timeout=30)
    assert run.status == RunStatus.SUCCESS, run.error
    stamps = list(run.result.values())
    assert len({stamp["pid"] for stamp in stamps}) == 3
    assert max(s["started"] for s in stamps) < min(s["ended"] for s in stamps)


def test_a_worker_killed_mid_step_loses_nothing_and_commits_once(
    start_cluster, tmp_path: Path
) -> None:
    start_cluster(workers=2)
    marker = tmp_path / "pid"
    run = api.start_run("cluster-crash", {"path": str(marker)})
    wait_for(marker.exists, 20, "the first attempt to start")
    os.kill(int(marker.read_text()), signal.SIGKILL)
    run = api.wait(run.pk, timeout=40)
    assert run.status == RunStatus.SUCCESS, run.error
    row = run.executions.get(path_key="fragile")
    assert row.attempts == 2
    assert run.events.filter(type=EventType.STEP_COMPLETED, path_key="fragile").count() == 1
    retry = run.events.get(type=EventType.STEP_RETRYING, path_key="fragile")
    assert retry.data["reason"] == "lease_expired"


def test_a_suspended_run_survives_a_cluster_restart(start_cluster) -> None:
    first = start_cluster(workers=1)
    run = api.start_run("cluster-review", {"n": 1})
    run = api.wait(run.pk, timeout=20)
    assert run.status == RunStatus.SUSPENDED
    first.stop()
    start_cluster(workers=1)
    api.resume_run(run.pk, {"approved": True}, path="approve")
    run = api.wait(run.pk, timeout=20, until=[RunStatus.SUCCESS, RunStatus.FAILED])
    assert run.status == RunStatus.SUCCESS and run.result == {"n": 4}
    assert run.executions.get(path_key="add_one").attempts == 1
