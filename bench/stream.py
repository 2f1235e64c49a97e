"""``manage.py bench stream``: how fast a committed event reaches websocket clients.

Real processes on the configured database and channel layer: daphne serves the
websockets, a ``runcluster`` subprocess executes the steps, and clients (the
``websockets`` library) connect with a signed-in session cookie. A run waits at
a gate while the clients connect and receive the state; then it is resumed and
every later event is timed from ``RunEvent.created_at`` (written in the
committing transaction) to the moment a client has it. Same machine, same clock.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

from bench.report import Figure, Report
from review.testing import DaphneServer
from workflows.engine import api
from workflows.engine.testing import ClusterProcess
from workflows.percentiles import median, percentile

WORKERS = 2
WORKFLOW = "bench-stream-gated"


def run(*, quick: bool) -> Report:
    call_command("migrate", verbosity=0)
    from bench import stream_workloads  # noqa: F401 - registers the workflow here too

    redis = bool(settings.REDIS_URL)
    database = (
        "sqlite" if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3") else "postgresql"
    )
    report = Report(
        "stream",
        {
            "database": database,
            "channel_layer": _delivery(redis=redis, database=database),
            "poll_s": settings.HANDOFF_LIVE_POLL_SECONDS,
            "workers": WORKERS,
            "quick": quick,
        },
    )
    cookie = _session_cookie()
    env = dict(os.environ)
    cluster = ClusterProcess(workers=WORKERS, env=env, cwd=str(settings.BASE_DIR))
    server = DaphneServer(env=env, cwd=str(settings.BASE_DIR))
    try:
        _single_client(report, server, cookie, runs=2 if quick else 8, redis=redis)
        _fanout(report, server, cookie, clients=20 if quick else 200)
    finally:
        server.stop()
        cluster.stop()
    return report


def _delivery(*, redis: bool, database: str) -> str:
    """How workers' commits reach daphne in this configuration (see docs/live.md)."""
    if redis:
        return "redis"
    if database == "postgresql":
        return "in-memory + LISTEN/NOTIFY"
    return "in-memory + database file watch"


def _session_cookie() -> str:
    user, _ = User.objects.get_or_create(
        username="bench-watcher", defaults={"is_staff": True, "is_active": True}
    )
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def _single_client(
    report: Report, server: DaphneServer, cookie: str, *, runs: int, redis: bool
) -> None:
    latencies: list[float] = []
    for _ in range(runs):
        latencies += asyncio.run(_watch_one_run(server, cookie, clients=1))
    report.samples["event_latency_ms"] = latencies
    target, name = (50.0, "target with Redis") if redis else (500.0, "target embedded")
    report.add(Figure("event_latency_ms_p50", median(latencies), "ms"))
    report.add(
        Figure(
            "event_latency_ms_p95",
            percentile(latencies, 95),
            "ms",
            target,
            name,
            note=f"{len(latencies)} events, one client, commit to received",
        )
    )


def _fanout(report: Report, server: DaphneServer, cookie: str, *, clients: int) -> None:
    latencies = asyncio.run(_watch_one_run(server, cookie, clients=clients))
    report.samples["fanout_latency_ms"] = latencies
    report.add(Figure("fanout_clients", clients, "clients", lower_is_better=False))
    report.add(Figure("fanout_latency_ms_p50", median(latencies), "ms"))
    report.add(
        Figure(
            "fanout_latency_ms_p95",
            percentile(latencies, 95),
            "ms",
            250.0,
            "target",
            note=f"{clients} clients watching one run, {len(latencies)} deliveries",
        )
    )


async def _watch_one_run(server: DaphneServer, cookie: str, *, clients: int) -> list[float]:
    from websockets.asyncio.client import connect
    from websockets.typing import Origin

    run = await asyncio.to_thread(api.start_run, WORKFLOW, {"n": 0})
    await asyncio.to_thread(api.wait, run.pk, timeout=30)
    url = f"{server.ws_url}/ws/runs/{run.pk}/events/"
    headers = {"Cookie": f"sessionid={cookie}"}
    sockets = []
    for _ in range(clients):
        sockets.append(
            await connect(
                url, origin=Origin(server.url), additional_headers=headers, open_timeout=30
            )
        )
    states = [json.loads(await ws.recv()) for ws in sockets]
    if any(state["type"] != "state" for state in states):
        raise RuntimeError("a client did not receive the state first")
    readers = [asyncio.create_task(_read_until_end(ws)) for ws in sockets]
    await asyncio.to_thread(api.resume_run, run.pk, {"go": True})
    received = await asyncio.wait_for(asyncio.gather(*readers), timeout=120)
    for ws in sockets:
        await ws.close()
    return [latency for per_client in received for latency in per_client]


async def _read_until_end(ws: Any) -> list[float]:
    latencies = []
    while True:
        message = json.loads(await ws.recv())
        arrived = time.time()
        event = message["event"]
        latencies.append((arrived - datetime.fromisoformat(event["at"]).timestamp()) * 1000)
        if event["type"] in ("run.completed", "run.failed"):
            return latencies


def write(report: Report, json_path: Path | None, out: Any) -> None:
    report.print_table(out)
    if json_path is not None:
        report.write_json(json_path)
        out.write(f"\nwrote {json_path}\n")
