"""Plain ``manage.py qcluster``, what every django-q2 user runs, is a complete engine.

Timers (sleep, retry backoff) fire and a killed worker's step is recovered,
because the ticker starts with the cluster's workers, not only in ``runcluster``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.integration.conftest import ROOT, cluster_env, wait_for
from workflows.engine import api
from workflows.models import EventType, RunStatus

pytestmark = pytest.mark.cluster


@pytest.fixture
def qcluster(transactional_db: None, settings) -> Iterator[Callable[..., subprocess.Popen[str]]]:
    import tests.integration.cluster_workflows  # noqa: F401 - registers them here too

    settings.HANDOFF_QUEUE = "django_q"
    started: list[subprocess.Popen[str]] = []

    def start(workers: int = 2) -> subprocess.Popen[str]:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"],
            cwd=str(ROOT),
            env={**cluster_env(workers), "PYTHONUNBUFFERED": "1"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_a_sleep_completes_under_plain_qcluster(qcluster) -> None:
    qcluster(workers=2)
    run = api.start_run("cluster-sleep", {"n": 1})
    started = time.monotonic()
    run = api.wait(run.pk, timeout=20, until=[RunStatus.SUCCESS, RunStatus.FAILED])
    assert run.status == RunStatus.SUCCESS, run.error
    waited = run.executions.get(path_key="nap")
    late = (waited.finished_at - waited.started_at).total_seconds() - 1.0
    assert 0 <= late < 1.0, f"the timer fired {late:.2f}s late"
    assert time.monotonic() - started < 15


def test_retry_backoff_completes_under_plain_qcluster(qcluster) -> None:
    qcluster(workers=1)
    run = api.start_run("cluster-flaky", {"n": 3})
    run = api.wait(run.pk, timeout=20, until=[RunStatus.SUCCESS, RunStatus.FAILED])
    assert run.status == RunStatus.SUCCESS and run.result == {"n": 3}
    assert run.events.filter(type=EventType.STEP_RETRYING).count() == 2


def test_a_killed_workers_step_is_recovered_under_plain_qcluster(qcluster, tmp_path: Path) -> None:
    qcluster(workers=2)
    marker = tmp_path / "pid"
    run = api.start_run("cluster-crash", {"path": str(marker)})
    wait_for(marker.exists, 20, "the first attempt to start")
    os.kill(int(marker.read_text()), signal.SIGKILL)
    run = api.wait(run.pk, timeout=40, until=[RunStatus.SUCCESS, RunStatus.FAILED])
    assert run.status == RunStatus.SUCCESS, run.error
    assert run.executions.get(path_key="fragile").attempts == 2
    retry = run.events.get(type=EventType.STEP_RETRYING, path_key="fragile")
    assert retry.data["reason"] == "lease_expired"
