"""``manage.py bench pages``: server time of the dashboard and the queue at 10,000 runs.

Seeds a scratch database with 10,000 runs across users and workflows (about
1,000 of them waiting for a person, each with its step rows and open
question), then times each page through Django's test client, in process, so
the figure is the server's own time: middleware, queries and templates.
Also counts each page's queries, which must not grow with the data.
"""

from __future__ import annotations

import random
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bench.report import Figure, Report
from review.roles import grant_role
from workflows.engine.kinds import NodeKind
from workflows.models import (
    ExecutionStatus,
    RunStatus,
    StepExecution,
    Suspension,
    SuspensionStatus,
    WorkflowRun,
)
from workflows.percentiles import median, percentile

RUNS = 10_000
WAITING_SHARE = 0.1
TARGET_MS = 150.0
WORKFLOWS = ("content-brief", "invoice-approval", "article")
STEPS = ("outline", "research", "angle_review", "draft", "brief_review", "finalise")
GRAPH = {"nodes": [{"id": step, "kind": "step"} for step in STEPS]}
PAGES = {
    "dashboard": "/",
    "dashboard_filtered": "/?status=waiting&workflow=content-brief",
    "search": "/?q=compost+bins",
    "queue": "/queue/",
}
TOPICS = ("compost bins", "worm farms", "rain barrels", "raised beds", "leaf mould", "mulch")


def run(*, quick: bool) -> Report:
    call_command("migrate", verbosity=0)
    database = "sqlite" if connection.vendor == "sqlite" else "postgresql"
    runs = 2_000 if quick else RUNS
    samples = 5 if quick else 40
    report = Report("pages", {"database": database, "runs": runs, "samples": samples})
    started = time.perf_counter()
    reviewer = _seed(runs)
    with connection.cursor() as cursor:  # planner statistics, as autovacuum keeps them
        cursor.execute("ANALYZE")
    report.extra["seed_s"] = round(time.perf_counter() - started, 1)
    client = Client()
    client.force_login(reviewer)
    for name, url in PAGES.items():
        client.get(url)  # warm caches, as a page that is in use
        times = []
        for _ in range(samples):
            begin = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - begin) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        report.samples[f"{name}_ms"] = times
        report.add(Figure(f"{name}_ms_p50", median(times), "ms"))
        report.add(Figure(f"{name}_ms_p95", percentile(times, 95), "ms", TARGET_MS, "target"))
        report.add(Figure(f"{name}_queries", len(queries), "queries", note="per request"))
    return report


def _seed(count: int) -> User:
    """Runs with realistic rows: steps finished so far, and an open question when waiting."""
    people = []
    for index in range(12):
        user, _ = User.objects.get_or_create(username=f"bench-user-{index}")
        grant_role(user, ("Reviewers", "Editors", "Viewers")[index % 3])
        people.append(user)
    rng = random.Random(7)
    now = timezone.now()
    with transaction.atomic():
        for offset in range(0, count, 1000):
            _seed_batch(rng, people, now, range(offset, min(offset + 1000, count)))
    return people[0]


def _seed_batch(rng: random.Random, people: list[User], now: Any, indexes: range) -> None:
    runs, rows, questions = [], [], []
    for index in indexes:
        waiting = rng.random() < WAITING_SHARE
        status = (
            RunStatus.SUSPENDED
            if waiting
            else rng.choice(
                (RunStatus.SUCCESS, RunStatus.SUCCESS, RunStatus.FAILED, RunStatus.CANCELED)
            )
        )
        topic = rng.choice(TOPICS)
        run = WorkflowRun(
            id=uuid.uuid4(),
            workflow_id=rng.choice(WORKFLOWS),
            definition_version="bench",
            graph=GRAPH,
            status=status,
            input={"url": f"https://example.com/{index}/{topic.replace(' ', '-')}"},
            state={"subject": f"A guide to {topic} #{index}"},
            created_by=rng.choice(people),
            steps_completed=4,
        )
        runs.append(run)
        done = 4 if waiting else 6
        for position, step_id in enumerate(STEPS[:done]):
            rows.append(
                StepExecution(
                    run=run,
                    kind=NodeKind.STEP,
                    step_id=step_id,
                    path_key=step_id,
                    status=ExecutionStatus.SUCCESS,
                    started_at=now - timedelta(minutes=position + 1),
                    finished_at=now - timedelta(minutes=position),
                )
            )
        if waiting:
            row = StepExecution(
                run=run,
                kind=NodeKind.STEP,
                step_id="brief_review",
                path_key="brief_review",
                status=ExecutionStatus.SUSPENDED,
                iteration=1,
            )
            rows.append(row)
            questions.append((run, row))
    WorkflowRun.objects.bulk_create(runs)
    StepExecution.objects.bulk_create(rows)
    Suspension.objects.bulk_create(
        Suspension(
            run=run,
            execution=row,
            path_key="brief_review",
            payload={"round": 1},
            fingerprint="bench",
            status=SuspensionStatus.OPEN,
        )
        for run, row in questions
    )


def write(report: Report, json_path: Path | None, out: Any) -> None:
    report.print_table(out)
    if json_path is not None:
        report.write_json(json_path)
        out.write(f"\nwrote {json_path}\n")
