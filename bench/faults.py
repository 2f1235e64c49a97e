"""``manage.py bench faults``: faults survived, with figures.

Real processes on a scratch database of the configured kind: ``runcluster``
subprocesses execute the steps, daphne serves websockets, and this process
injects the faults and audits the result:

- **sigkill**: a worker is SIGKILLed mid-step in each of 20 runs (the
  production lease, ``HANDOFF_LEASE_SECONDS=20``); every run must finish, each
  step commit once, and each run's event log fold to exactly its rows;
- **cluster kill**: the whole cluster is SIGKILLed with runs in flight and a new
  one started;
- **daphne restart**: websocket clients reconnect with the last id they saw and
  must have every event once;
- **Redis restart** (when ``REDIS_URL`` is set and ``redis-server`` is on PATH): a
  private Redis is killed and restarted under load; nothing may be lost and
  notifications must come back;
- **connection drops**: 3% of the workers' writes to the engine's tables fail
  mid-transaction; every transition must be all or nothing;
- **load** (SQLite especially): two workers and the web server under load; no
  "database is locked" may reach anyone;
- **default lease** (not with ``--quick``): how long recovery takes without the
  short lease (a step's timeout + grace: about 5 minutes).

Audits: ``duplicate_commits`` counts steps committed more than once (events and
rows); ``event_gaps`` counts runs whose snapshot folded from the event log
differs from the one read from the rows.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

from bench.report import Figure, Report
from review.testing import DaphneServer, free_port
from workflows.engine import api
from workflows.engine.kinds import NodeKind
from workflows.engine.snapshots import snapshot
from workflows.engine.testing import ClusterProcess
from workflows.models import RunEvent, RunStatus, StepExecution, WorkflowRun
from workflows.percentiles import median

WORKERS = 4
PRODUCTION_LEASE = 20
ENDED = [RunStatus.SUCCESS, RunStatus.FAILED, RunStatus.CANCELED]


class Audit:
    """Runs to check at the end, and what each scenario found."""

    def __init__(self) -> None:
        self.run_ids: list[str] = []

    def add(self, runs: Iterable[Any]) -> None:
        self.run_ids.extend(str(getattr(run, "pk", run)) for run in runs)

    def duplicates_and_gaps(self, run_ids: list[str] | None = None) -> tuple[int, int]:
        duplicates = gaps = 0
        for run in WorkflowRun.objects.filter(pk__in=run_ids or self.run_ids):
            duplicates += _duplicates(run)
            gaps += _essence(snapshot(run.pk, as_of=run.last_event_id)) != _essence(
                snapshot(run.pk)
            )
        return duplicates, gaps


def _duplicates(run: WorkflowRun) -> int:
    completed = Counter(
        RunEvent.objects.filter(run=run, type="step.completed").values_list(
            "execution_id", flat=True
        )
    )
    rows = Counter(
        StepExecution.objects.filter(run=run, kind=NodeKind.STEP, status="success").values_list(
            "path_key", "iteration", "item_index"
        )
    )
    return sum(count - 1 for count in [*completed.values(), *rows.values()] if count > 1)


def _essence(document: dict[str, Any]) -> Any:
    """What the log and the rows must agree on: statuses, outputs, the result."""
    context = {
        path: (entry["status"], json.dumps(entry["output"], sort_keys=True))
        for path, entry in document["context"].items()
    }
    return document["status"], json.dumps(document["result"], sort_keys=True), context


def run(*, quick: bool) -> Report:
    call_command("migrate", verbosity=0)
    from bench import fault_workloads  # noqa: F401 - registers the workflows

    database = (
        "sqlite" if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3") else "postgresql"
    )
    report = Report(
        "faults",
        {
            "database": database,
            "broker": "redis" if settings.REDIS_URL else "orm",
            "workers": WORKERS,
            "lease_s": PRODUCTION_LEASE,
            "quick": quick,
        },
    )
    audit = Audit()
    folder = Path(tempfile.mkdtemp(prefix="handoff-faults-"))
    try:
        _sigkill(report, audit, folder, runs=4 if quick else 20)
        _cluster_kill(report, audit, runs=4 if quick else 10)
        _daphne_restart(report, audit, clients=5 if quick else 20)
        _redis_restart(report, audit, clients=3 if quick else 10)
        _connection_drops(report, audit, folder, runs=6 if quick else 20)
        _load(report, audit, runs=20 if quick else 100)
        if not quick:
            _default_recovery(report, audit, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    duplicates, gaps = audit.duplicates_and_gaps()
    report.add(Figure("duplicate_commits", duplicates, "steps", note="every scenario"))
    report.add(Figure("event_gaps", gaps, "runs", note="log folded != rows"))
    report.extra["audited_runs"] = len(audit.run_ids)
    return report


def _env(**more: str) -> dict[str, str]:
    return {
        **os.environ,
        "HANDOFF_LEASE_SECONDS": str(PRODUCTION_LEASE),
        "HANDOFF_LOG_LEVEL": "WARNING",
        **more,
    }


def _cluster(**env: str) -> ClusterProcess:
    return ClusterProcess(workers=WORKERS, env=_env(**env), cwd=str(settings.BASE_DIR))


def _wait_all(runs: list[WorkflowRun], timeout: float) -> list[WorkflowRun]:
    deadline = time.monotonic() + timeout
    finished = []
    for started in runs:
        left = max(1.0, deadline - time.monotonic())
        try:
            finished.append(api.wait(started.pk, timeout=left, until=ENDED))
        except TimeoutError:
            finished.append(api.get_run(started.pk))
    return finished


def _ok(runs: list[WorkflowRun]) -> int:
    return sum(run.status == RunStatus.SUCCESS for run in runs)


# --- a worker SIGKILLed mid-step -------------------------------------------------------------


def _kill_attempts(runs: dict[str, Path], timeout: float) -> dict[str, float]:
    """SIGKILL the worker of each run's first attempt as soon as it says where it runs."""
    killed: dict[str, float] = {}
    deadline = time.monotonic() + timeout
    while len(killed) < len(runs) and time.monotonic() < deadline:
        for run_id, marker in runs.items():
            if run_id not in killed and marker.exists():
                pid = int(marker.read_text().split()[0])
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                killed[run_id] = time.time()
        time.sleep(0.02)
    return killed


def _recovery(run_id: str, killed_at: float) -> float | None:
    retry = (
        RunEvent.objects.for_run(run_id)
        .filter(type="step.started", path_key="victim", data__attempt=2)
        .order_by("id")
        .first()
    )
    return None if retry is None else retry.created_at.timestamp() - killed_at


def _sigkill(report: Report, audit: Audit, folder: Path, *, runs: int) -> None:
    cluster = _cluster()
    finished: list[WorkflowRun] = []
    recoveries: list[float] = []
    try:
        for start in range(0, runs, WORKERS):
            batch = {}
            for _ in range(min(WORKERS, runs - start)):
                marker = folder / f"kill-{uuid.uuid4().hex}"
                run = api.start_run("faults-kill", {"marker": str(marker)})
                batch[str(run.pk)] = marker
            killed = _kill_attempts(batch, timeout=120)
            done = _wait_all([api.get_run(run_id) for run_id in batch], PRODUCTION_LEASE * 4 + 60)
            finished.extend(done)
            for run_id, at in killed.items():
                seconds = _recovery(run_id, at)
                if seconds is not None:
                    recoveries.append(seconds)
    finally:
        cluster.stop()
    audit.add(finished)
    duplicates, gaps = audit.duplicates_and_gaps([str(run.pk) for run in finished])
    report.add(Figure("sigkill_runs_ok", _ok(finished), "runs", runs, "all", False))
    report.add(Figure("sigkill_runs_total", runs, "runs"))
    report.add(Figure("sigkill_duplicate_commits", duplicates, "steps"))
    report.add(Figure("sigkill_event_gaps", gaps, "runs"))
    extra = StepExecution.objects.filter(
        run__in=[run.pk for run in finished], path_key="victim", attempts__gt=2
    ).count()
    report.add(Figure("sigkill_false_expiries", extra, "steps", note="expired again while alive"))
    report.add(Figure("recovery_s_p50", median(recoveries), "s", 30, "target"))
    report.add(Figure("recovery_s_max", max(recoveries, default=float("nan")), "s", 30, "target"))
    report.samples["recovery_s"] = recoveries


def _default_recovery(report: Report, audit: Audit, folder: Path) -> None:
    """One crash with the default lease: the step's timeout (300 s) plus the grace (15 s)."""
    cluster = _cluster(HANDOFF_LEASE_SECONDS="0")
    try:
        marker = folder / "default-lease"
        run = api.start_run("faults-kill", {"marker": str(marker)})
        killed = _kill_attempts({str(run.pk): marker}, timeout=120)
        _wait_all([run], 400)
    finally:
        cluster.stop()
    audit.add([run])
    seconds = _recovery(str(run.pk), killed.get(str(run.pk), time.time()))
    report.add(
        Figure(
            "recovery_default_lease_s",
            float("nan") if seconds is None else seconds,
            "s",
            note="HANDOFF_LEASE_SECONDS unset: the step's timeout + grace",
        )
    )


# --- the whole cluster killed ----------------------------------------------------------------


def _cluster_kill(report: Report, audit: Audit, *, runs: int) -> None:
    first = _cluster()
    started = [api.start_run("faults-chain", {"n": 0}) for _ in range(runs)]
    time.sleep(1.5)
    first.kill_all()
    killed_at = time.monotonic()
    second = _cluster()
    try:
        finished = _wait_all(started, PRODUCTION_LEASE * 4 + 90)
        took = time.monotonic() - killed_at
    finally:
        second.stop()
    audit.add(finished)
    report.add(Figure("cluster_kill_runs_ok", _ok(finished), "runs", runs, "all", False))
    report.add(Figure("cluster_kill_finish_s", took, "s", note="from the kill to the last run"))


# --- websocket clients across a daphne restart -----------------------------------------------


def _session_cookie() -> str:
    user, _ = User.objects.get_or_create(
        username="faults-watcher", defaults={"is_staff": True, "is_active": True}
    )
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


class Watcher(threading.Thread):
    """A client that reconnects with the last id it saw until the run ends."""

    def __init__(self, url: str, origin: str, cookie: str, deadline: float) -> None:
        super().__init__(daemon=True)
        self.url, self.origin, self.cookie, self.deadline = url, origin, cookie, deadline
        self.first_state: int | None = None
        self.ids: list[int] = []
        self.reconnects = 0
        self.latencies: list[tuple[float, float]] = []  # (received at, latency)

    def run(self) -> None:
        from websockets.sync.client import connect
        from websockets.typing import Origin

        while time.monotonic() < self.deadline:
            after = f"?after={self.ids[-1]}" if self.ids else ""
            try:
                with connect(
                    self.url + after,
                    origin=Origin(self.origin),
                    additional_headers={"Cookie": f"sessionid={self.cookie}"},
                    open_timeout=5,
                    max_size=2**20,
                ) as ws:
                    if self._read(ws):
                        return
            except Exception:
                self.reconnects += 1
                time.sleep(0.2)

    def _read(self, ws: Any) -> bool:
        while time.monotonic() < self.deadline:
            message = json.loads(ws.recv(timeout=max(0.1, self.deadline - time.monotonic())))
            if message["type"] == "state":
                if self.first_state is None:
                    self.first_state = message["last_event_id"]
                continue
            event = message["event"]
            self.ids.append(event["id"])
            now = time.time()
            sent = _timestamp(event["at"])
            self.latencies.append((now, now - sent))
            if event["type"] in ("run.completed", "run.failed", "run.canceled"):
                return True
        return True


def _timestamp(iso: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(iso).timestamp()


def _gapless(watcher: Watcher, run_id: Any) -> bool:
    expected = list(
        RunEvent.objects.for_run(run_id)
        .after(watcher.first_state or 0)
        .values_list("id", flat=True)
    )
    return watcher.ids == expected


def _watchers(daphne: DaphneServer, run: WorkflowRun, count: int, seconds: float) -> list[Watcher]:
    cookie = _session_cookie()
    url = f"{daphne.ws_url}/ws/runs/{run.pk}/events/"
    deadline = time.monotonic() + seconds
    watchers = [Watcher(url, daphne.url, cookie, deadline) for _ in range(count)]
    for watcher in watchers:
        watcher.start()
    return watchers


def _daphne_restart(report: Report, audit: Audit, *, clients: int) -> None:
    cluster = _cluster()
    daphne = DaphneServer(env=_env(), cwd=str(settings.BASE_DIR))
    try:
        run = api.start_run("faults-chain", {"n": 0})
        watchers = _watchers(daphne, run, clients, seconds=90)
        time.sleep(1.0)
        port = daphne.port
        daphne.stop()
        time.sleep(0.5)
        daphne = DaphneServer(env=_env(), cwd=str(settings.BASE_DIR), port=port)
        _wait_all([run], 90)
        for watcher in watchers:
            watcher.join(timeout=60)
    finally:
        daphne.stop()
        cluster.stop()
    audit.add([run])
    ok = sum(_gapless(watcher, run.pk) for watcher in watchers)
    reconnected = sum(watcher.reconnects > 0 or len(watcher.ids) > 0 for watcher in watchers)
    report.add(Figure("daphne_restart_clients_ok", ok, "clients", clients, "all", False))
    report.extra["daphne_restart_clients_reconnected"] = reconnected


# --- Redis restarted under load --------------------------------------------------------------


class RedisServer:
    """A private ``redis-server`` on a free port, so restarting it disturbs nobody else."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), 0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()


def _redis_restart(report: Report, audit: Audit, *, clients: int) -> None:
    if not settings.REDIS_URL or shutil.which("redis-server") is None:
        report.extra["redis_restart"] = "skipped: no Redis in this configuration"
        return
    redis = RedisServer()
    env = {"REDIS_URL": redis.url}
    cluster = _cluster(**env)
    daphne = DaphneServer(env=_env(**env), cwd=str(settings.BASE_DIR))
    try:
        # Started through daphne: this process's own broker is the configured Redis.
        runs = [_start_over_http(daphne) for _ in range(4)]
        watchers = _watchers(daphne, runs[0], clients, seconds=150)
        time.sleep(1.0)
        redis.kill()
        restarted_at = time.time()
        time.sleep(1.0)
        redis = RedisServer(port=redis.port)
        later = _start_over_http(daphne)
        finished = _wait_all([*runs, later], 150)
        for watcher in watchers:
            watcher.join(timeout=120)
    finally:
        daphne.stop()
        cluster.stop()
        redis.kill()
    audit.add(finished)
    ok = sum(_gapless(watcher, runs[0].pk) for watcher in watchers)
    back = restarted_at + 1.0  # the new Redis answers
    notified = [at - back for w in watchers for at, lat in w.latencies if at > back and lat < 0.3]
    report.add(Figure("redis_restart_runs_ok", _ok(finished), "runs", 5, "all", False))
    report.add(Figure("redis_restart_clients_ok", ok, "clients", clients, "all", False))
    report.add(
        Figure(
            "redis_notify_back_s",
            min(notified, default=float("nan")),
            "s",
            5,
            "group re-join",
            note="from Redis answering again to the first event delivered by notification",
        )
    )


def _token() -> str:
    from review.models import ApiToken

    user, _ = User.objects.get_or_create(
        username="faults-admin", defaults={"is_staff": True, "is_superuser": True}
    )
    return ApiToken.issue(user=user, name="faults")[1]


def _start_over_http(daphne: DaphneServer) -> WorkflowRun:
    import httpx

    response = httpx.post(
        f"{daphne.url}/api/runs/",
        json={"workflow": "faults-chain", "input": {"n": 0}},
        headers={"Authorization": f"Bearer {_token()}"},
        timeout=30,
    )
    response.raise_for_status()
    return api.get_run(response.json()["run"]["id"])


# --- connections dropped mid-transition -----------------------------------------------------


def _connection_drops(report: Report, audit: Audit, folder: Path, *, runs: int) -> None:
    faults = folder / "drops"
    faults.mkdir()
    cluster = _cluster(HANDOFF_FAULTS_DROP_RATE="0.03", HANDOFF_FAULTS_DIR=str(faults))
    started = [api.start_run("faults-chain", {"n": 0}) for _ in range(runs)]
    try:
        _wait_all(started, 120)
    finally:
        cluster.stop()
    injected = sum(int(path.read_text() or 0) for path in faults.iterdir())
    clean = _cluster()  # what the faulty cluster left claimed or pending, a clean one finishes
    try:
        finished = _wait_all(started, PRODUCTION_LEASE * 4 + 90)
    finally:
        clean.stop()
    audit.add(finished)
    duplicates, gaps = audit.duplicates_and_gaps([str(run.pk) for run in finished])
    report.add(Figure("drop_runs_ok", _ok(finished), "runs", runs, "all", False))
    report.add(Figure("drop_injected_faults", injected, "writes", note="3% of engine writes"))
    report.add(Figure("drop_event_gaps", gaps, "runs", note="each transition all or nothing"))
    report.add(Figure("drop_duplicate_commits", duplicates, "steps"))


# --- the web server and two workers under load -----------------------------------------------


def _load(report: Report, audit: Audit, *, runs: int) -> None:
    secret = _token()
    cluster = ClusterProcess(workers=2, env=_env(), cwd=str(settings.BASE_DIR))
    daphne = DaphneServer(env=_env(), cwd=str(settings.BASE_DIR))
    statuses: Counter[int] = Counter()
    started: list[str] = []
    lock = threading.Lock()

    def client(count: int) -> None:
        import httpx

        headers = {"Authorization": f"Bearer {secret}"}
        with httpx.Client(base_url=daphne.url, headers=headers, timeout=60) as http:
            for _ in range(count):
                response = http.post(
                    "/api/runs/", json={"workflow": "faults-chain", "input": {"n": 0}}
                )
                with lock:
                    statuses[response.status_code] += 1
                if response.status_code == 201:
                    run_id = response.json()["run"]["id"]
                    with lock:
                        started.append(run_id)
                    for path in ("snapshot", "events?after=0"):
                        got = http.get(f"/api/runs/{run_id}/{path}")
                        with lock:
                            statuses[got.status_code] += 1

    try:
        threads = [threading.Thread(target=client, args=(runs // 5,)) for _ in range(5)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        finished = _wait_all([api.get_run(run_id) for run_id in started], 300)
    finally:
        logs = daphne.stop() + cluster.stop()
    audit.add(finished)
    locked = logs.lower().count("database is locked")
    errors = sum(count for status, count in statuses.items() if status >= 500)
    report.add(Figure("load_runs_ok", _ok(finished), "runs", runs, "all", False))
    report.add(Figure("load_http_5xx", errors, "responses", note=f"of {sum(statuses.values())}"))
    report.add(Figure("database_locked", locked, "errors", note="in every log and answer"))


def write(report: Report, json_path: Path | None, out: Any) -> None:
    report.print_table(out)
    if json_path is not None:
        report.write_json(json_path)
        out.write(f"\nwrote {json_path}\n")
