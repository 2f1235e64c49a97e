"""An idle ORM-broker cluster is woken by an enqueue instead of waiting out its poll."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings

from workflows.engine import api, broker
from workflows.models import RunStatus

pytestmark = pytest.mark.skipif(
    bool(django_settings.Q_CLUSTER.get("redis")), reason="the wake file is for the ORM broker"
)


def test_without_a_stamp_the_wait_lasts_its_whole_timeout(tmp_path: Path) -> None:
    stamp = broker.Stamp(tmp_path / "queue.wake")
    began = time.monotonic()
    stamp.wait(stamp.read(), 0.2)
    assert time.monotonic() - began >= 0.2


def test_a_stamp_from_another_thread_ends_the_wait(tmp_path: Path, settings: Any) -> None:
    settings.VAR_DIR = tmp_path
    watched = broker.Stamp(broker.wake_file())
    seen = watched.read()
    waker = threading.Timer(0.05, broker.stamp)
    waker.start()
    began = time.monotonic()
    watched.wait(seen, 30)
    waker.join()
    assert time.monotonic() - began < 10
    assert watched.read() != seen


@pytest.mark.cluster
def test_a_resumed_run_goes_on_long_before_the_poll_would_have_found_it(start_cluster) -> None:
    start_cluster(workers=1, HANDOFF_ORM_POLL="60")
    time.sleep(2)  # the cluster is up and waiting
    run = api.start_run("cluster-review", {"n": 1})
    run = api.wait(run.pk, timeout=30)
    assert run.status == RunStatus.SUSPENDED
    api.resume_run(run.pk, {"approved": True}, path="approve")
    run = api.wait(run.pk, timeout=30, until=[RunStatus.SUCCESS, RunStatus.FAILED])
    assert run.status == RunStatus.SUCCESS and run.result == {"n": 4}
