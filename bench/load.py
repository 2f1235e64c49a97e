"""``manage.py bench load``: content briefs under load, decided by people, watched live.

Real processes on a scratch database of the configured kind: daphne serves the
API, the websockets and the demo corpus the briefs read (the offline
defaults: demo pages and the offline writer), and a ``runcluster`` with 2
workers runs the steps. From this process (``bench/load_traffic.py``):

- a starter starts 500 content briefs over the API, as fast as the workers
  take them (at most 20 runs being worked on at once);
- decisions wait until 100 runs wait for a person at once, then 50 reviewers
  (each their own user in the Reviewers group, with their own API token)
  answer every open question over HTTP, concurrently: an angle, then for
  every second run one or two requests for changes, then the approval. Every
  tenth question goes to two reviewers at once: one wins, the other gets the
  409 that a losing concurrent decision expects;
- 200 websocket clients (``bench/load_watch.py``) watch 200 of the runs on
  ``/ws/runs/<id>/events/`` from their start to their end, reconnecting with
  ``?after=`` when a stream breaks (and counting the break).

Then ``bench/load_audit.py`` checks the database: no run or step lost, no step
or decision recorded twice, every watcher with every event once and the final state.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

from bench.load_audit import Findings, audit
from bench.load_traffic import Ledger, Load, Person, Plan
from bench.report import Figure, Report
from review.models import ApiToken
from review.roles import grant_role
from review.testing import DaphneServer, free_port
from workflows.engine.testing import ClusterProcess
from workflows.percentiles import median, percentile

WORKERS = 2
DECISION_TARGET_MS = 1000.0  # a click answered within a second keeps a person's flow
DECISIONS_PER_REVIEWER_MINUTE = 1.0
FULL = Plan(
    runs=500,
    reviewers=50,
    watchers=200,
    waiting_target=100,
    in_flight=20,
    race_every=10,
    deadline_s=3600,
)
QUICK = Plan(
    runs=20,
    reviewers=10,
    watchers=10,
    waiting_target=10,
    in_flight=10,
    race_every=10,
    deadline_s=240,
)
CHAINED = ("During handling of the above exception", "The above exception was the direct cause")
ONLINE_SETTINGS = (
    "LLM_BASE_URL",
    "LLM_API_KEY",
    "CONTENT_BRIEF_SEARCH_URL",
    "CONTENT_BRIEF_COMMUNITY_URL",
)


def run(*, quick: bool) -> Report:
    call_command("migrate", verbosity=0)
    plan = QUICK if quick else FULL
    database = (
        "sqlite" if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3") else "postgresql"
    )
    report = Report(
        "load",
        {
            "database": database,
            "broker": "redis" if settings.REDIS_URL else "orm",
            "workers": WORKERS,
            "runs": plan.runs,
            "reviewers": plan.reviewers,
            "watchers": plan.watchers,
            "quick": quick,
        },
    )
    starter, reviewers, cookie = _people(plan.reviewers)
    port = free_port()
    env = _env(f"http://127.0.0.1:{port}")
    began = time.monotonic()
    server = DaphneServer(env=env, cwd=str(settings.BASE_DIR), port=port)
    cluster = ClusterProcess(workers=WORKERS, env=env, cwd=str(settings.BASE_DIR))
    try:
        load = Load(plan, server.url, server.ws_url, starter, cookie)
        report.extra["processes_start_s"] = round(time.monotonic() - began, 1)
        ledger = asyncio.run(load.run(reviewers))
    finally:
        logs = server.stop() + cluster.stop()
    report.extra["load_s"] = round(time.monotonic() - began, 1)
    _figures(report, plan, ledger, audit(ledger), logs)
    return report


def _env(base_url: str) -> dict[str, str]:
    """The offline defaults: the demo corpus on this daphne, the offline writer."""
    env = {key: value for key, value in os.environ.items() if key not in ONLINE_SETTINGS}
    return {**env, "CONTENT_BRIEF_DEMO_BASE_URL": base_url, "HANDOFF_LOG_LEVEL": "WARNING"}


def _people(reviewers: int) -> tuple[Person, list[Person], str]:
    """Distinct reviewers with their own tokens, who starts the briefs, and a watcher's session."""
    people = []
    for index in range(reviewers + 1):
        user, _ = User.objects.get_or_create(username=f"load-reviewer-{index}")
        grant_role(user, "Reviewers")
        people.append(Person(user.username, ApiToken.issue(user=user, name="bench load")[1]))
    watcher, _ = User.objects.get_or_create(username="load-watcher")
    grant_role(watcher, "Viewers")
    client = Client()
    client.force_login(watcher)
    return people[0], people[1:], client.cookies["sessionid"].value


def _figures(report: Report, plan: Plan, ledger: Ledger, found: Findings, logs: str) -> None:
    server_errors = _log_errors(logs)
    watcher_errors = [f"watcher of {w.run_id}: {e}" for w in ledger.watches for e in w.errors]
    errors = len(ledger.errors) + len(watcher_errors) + len(server_errors)
    pace = plan.reviewers * DECISIONS_PER_REVIEWER_MINUTE / (plan.decisions_expected() / plan.runs)
    report.add(Figure("runs_total", plan.runs, "runs"))
    report.add(
        Figure(
            "runs_completed",
            found.runs_completed,
            "runs",
            plan.runs,
            "all",
            False,
            note=f"{found.runs_failed} failed",
        )
    )
    report.add(
        Figure(
            "runs_per_minute",
            found.runs_completed / found.busy_seconds * 60,
            "runs/min",
            round(pace, 1),
            "reviewers' pace",
            False,
            note=f"{plan.reviewers} reviewers at a decision a minute; "
            f"{found.busy_seconds:.0f} s from the first start to the last end",
        )
    )
    report.add(
        Figure(
            "waiting_max",
            found.waiting_max,
            "runs",
            plan.waiting_target,
            "asked for",
            False,
            note="most runs waiting for a person at one moment, from the questions' rows",
        )
    )
    _decision_figures(report, plan, ledger, found)
    report.add(
        Figure("errors", errors, "errors", 0, "target", note="HTTP, websockets, server logs")
    )
    report.add(Figure("lost_work", found.lost_work, "runs+steps", 0, "target"))
    report.add(Figure("duplicated_work", found.duplicated_work, "steps+decisions", 0, "target"))
    connected = sum(watch.state_event_id is not None for watch in ledger.watches)
    report.add(Figure("watchers", connected, "clients", plan.watchers, "all", False))
    report.add(Figure("watcher_gaps", found.watcher_gaps, "clients", 0, "target"))
    report.add(
        Figure(
            "watcher_refused_handshakes",
            sum(watch.refused for watch in ledger.watches),
            "handshakes",
            0,
            "target",
            note="not accepted within daphne's 5 s; the client connected again",
        )
    )
    report.extra.update(
        {
            "start_latency_ms_p95": percentile(ledger.start_ms, 95),
            "waiting_polled_max": ledger.waiting_polled_max,
            "error_samples": [*ledger.errors, *watcher_errors, *server_errors][:10],
        }
    )


def _log_errors(logs: str) -> list[str]:
    """Each error in daphne's and the cluster's output, by its last lines (where it was raised).

    An error is a traceback, with the ones chained to it, or a "database is locked".
    """
    errors: list[list[str]] = []
    state = "out"  # "in" a traceback, or between two chained ones
    for line in logs.splitlines():
        starts = line.startswith("Traceback")
        if starts and state == "out":
            errors.append([])
        if starts:
            state = "in"
        elif line.startswith(CHAINED) and errors:
            state = "chained"
        elif state == "out":
            if "database is locked" in line.lower():
                errors.append([line])
            continue
        elif state == "in" and line and not line.startswith(" "):
            state = "out"  # the exception's own line ends the traceback
        errors[-1].append(line)
    return ["\n".join(lines[-14:]) for lines in errors]


def _decision_figures(report: Report, plan: Plan, ledger: Ledger, found: Findings) -> None:
    accepted = sum(ledger.accepted.values())
    report.samples["decision_latency_ms"] = ledger.decision_ms
    report.add(
        Figure(
            "decisions_total",
            accepted,
            "decisions",
            plan.decisions_expected(),
            "every question",
            False,
            note=f"{found.decisions_recorded} recorded by the engine; {ledger.races} questions "
            f"sent to two reviewers, {ledger.conflicts} answered 409 to the loser",
        )
    )
    report.add(Figure("decision_latency_ms_p50", median(ledger.decision_ms), "ms"))
    report.add(
        Figure(
            "decision_latency_ms_p95",
            percentile(ledger.decision_ms, 95),
            "ms",
            DECISION_TARGET_MS,
            "target",
            note=f"{len(ledger.decision_ms)} resume requests, one HTTP request each",
        )
    )
    report.extra["decision_conflicts"] = ledger.conflicts
    report.extra["decision_races"] = ledger.races


def write(report: Report, json_path: Path | None, out: Any) -> None:
    report.print_table(out)
    if json_path is not None:
        report.write_json(json_path)
        out.write(f"\nwrote {json_path}\n")
