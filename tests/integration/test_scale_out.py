"""Scale-out on the existing engine: two clusters and two web servers on one PostgreSQL and Redis.

The deployment shape of docs/deploy.md, run for real: work spreads over both
clusters and no step executes twice; a client on one web server sees, live, a
decision made through the other; killing one cluster outright loses nothing.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.test import Client
from websockets.sync.client import connect

from review.models import ApiToken
from review.testing import DaphneServer
from tests.integration.conftest import ROOT, cluster_env, wait_for
from workflows.engine import api
from workflows.models import EventType, RunEvent, RunStatus, StepExecution

pytestmark = [pytest.mark.cluster, pytest.mark.postgres, pytest.mark.redis]

SHORT_LEASE = {"HANDOFF_LEASE_SECONDS": "3"}
ENDED = [RunStatus.SUCCESS, RunStatus.FAILED, RunStatus.CANCELED]


@pytest.fixture(autouse=True)
def postgres_and_redis(transactional_db: None) -> None:
    """Scale-out is the PostgreSQL + Redis pass's (required in CI); SQLite's pass skips it."""
    on_postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    if not (on_postgres and settings.REDIS_URL):
        pytest.skip("scale-out runs in the PostgreSQL + Redis pass")


@pytest.fixture
def reviewer() -> User:
    user = User.objects.create_user("rita", password="rita")
    user.groups.add(Group.objects.get_or_create(name="Reviewers")[0])
    return user


@pytest.fixture
def two_web_servers() -> Iterator[tuple[DaphneServer, DaphneServer]]:
    servers = (
        DaphneServer(env=cluster_env(1), cwd=str(ROOT)),
        DaphneServer(env=cluster_env(1), cwd=str(ROOT)),
    )
    yield servers
    for server in servers:
        server.stop()


def never_twice(run_ids: list[str]) -> None:
    completed = Counter(
        RunEvent.objects.filter(run_id__in=run_ids, type=EventType.STEP_COMPLETED).values_list(
            "execution_id", flat=True
        )
    )
    assert max(completed.values()) == 1
    rows = Counter(
        StepExecution.objects.filter(run_id__in=run_ids, kind="step", status="success").values_list(
            "run_id", "path_key", "iteration"
        )
    )
    assert max(rows.values()) == 1


def test_runs_spread_over_two_clusters_and_no_step_runs_twice(start_cluster) -> None:
    first = start_cluster(workers=2, **SHORT_LEASE)
    second = start_cluster(workers=2, **SHORT_LEASE)
    runs = [api.start_run("cluster-parallel", {"seconds": 0.4}) for _ in range(10)]
    finished = [api.wait(run.pk, timeout=60, until=ENDED) for run in runs]
    assert all(run.status == RunStatus.SUCCESS for run in finished)
    pids = {stamp["pid"] for run in finished for stamp in run.result.values()}
    assert pids & set(first.pids()) and pids & set(second.pids()), "both clusters took work"
    assert not StepExecution.objects.filter(run__in=runs, kind="step", attempts__gt=1).exists()
    never_twice([str(run.pk) for run in runs])


def test_a_client_on_one_web_server_sees_a_decision_made_through_the_other(
    start_cluster, two_web_servers: tuple[DaphneServer, DaphneServer], reviewer: User
) -> None:
    server_a, server_b = two_web_servers
    start_cluster(workers=2, **SHORT_LEASE)
    run = api.wait(api.start_run("cluster-review", {"n": 1}).pk, timeout=30)
    assert run.status == RunStatus.SUSPENDED
    browser = Client()
    browser.force_login(reviewer)
    with connect(
        f"{server_b.ws_url}/ws/runs/{run.pk}/events/",
        origin=server_b.url,
        additional_headers={"Cookie": f"sessionid={browser.cookies['sessionid'].value}"},
        open_timeout=10,
    ) as ws:
        assert json.loads(ws.recv(timeout=10))["type"] == "state"
        _, token = ApiToken.issue(user=reviewer, name="scale-out")
        import httpx

        decided = httpx.post(
            f"{server_a.url}/api/runs/{run.pk}/resume",
            json={"path": "approve", "data": {"approved": True}},
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        assert decided.status_code == 200, decided.text
        started = time.monotonic()
        seen = []
        while "run.completed" not in seen:
            seen.append(json.loads(ws.recv(timeout=10))["event"]["type"])
        assert seen[0] == "step.resumed"
        assert time.monotonic() - started < 10


def test_killing_one_cluster_outright_loses_nothing(start_cluster) -> None:
    doomed = start_cluster(workers=2, **SHORT_LEASE)
    start_cluster(workers=2, **SHORT_LEASE)
    runs = [api.start_run("cluster-live-chain", {"n": 0}) for _ in range(8)]
    wait_for(
        lambda: (
            StepExecution.objects.filter(run__in=runs, status="running", kind="step").count() >= 2
        ),
        20,
        "steps to be running",
    )
    doomed.kill_all()
    finished = [api.wait(run.pk, timeout=90, until=ENDED) for run in runs]
    assert all(run.status == RunStatus.SUCCESS for run in finished), [r.error for r in finished]
    assert all(run.result == {"n": 8} for run in finished)
    never_twice([str(run.pk) for run in runs])
