"""A real ``manage.py runcluster`` subprocess against the test database."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from review.testing import DaphneServer
from workflows.engine.testing import ClusterProcess

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW_MODULE = "tests.integration.cluster_workflows"


def database_url_for_subprocess() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def cluster_env(workers: int, **overrides: str | None) -> dict[str, str]:
    """The environment of a subprocess on the test database; an override of None unsets."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url_for_subprocess(),
        "HANDOFF_WORKFLOW_MODULES": WORKFLOW_MODULE,
        "HANDOFF_WORKERS": str(workers),
        "HANDOFF_LEASE_GRACE_SECONDS": "1",
        "HANDOFF_QUEUE": "django_q",
        "HANDOFF_QUEUE_NAME": settings.Q_CLUSTER["name"],
    }
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


@pytest.fixture
def start_cluster(transactional_db: None, settings) -> Iterator[Callable[..., ClusterProcess]]:
    """Start clusters on demand; every one still running is stopped after the test."""
    import tests.integration.cluster_workflows  # noqa: F401 - registers the workflows here too

    settings.HANDOFF_QUEUE = "django_q"
    started: list[ClusterProcess] = []

    def start(workers: int = 3, **env: str | None) -> ClusterProcess:
        cluster = ClusterProcess(workers=workers, env=cluster_env(workers, **env), cwd=str(ROOT))
        started.append(cluster)
        return cluster

    yield start
    for cluster in started:
        cluster.stop()


@pytest.fixture
def daphne(transactional_db: None) -> Iterator[DaphneServer]:
    """The ASGI server (pages and websockets) in a subprocess on the test database."""
    server = DaphneServer(env=cluster_env(1), cwd=str(ROOT))
    yield server
    server.stop()


def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")
