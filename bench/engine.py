"""``manage.py bench engine``: engine overhead, growth, resume latency, fan-out and throughput.

Everything runs through the real path: runs are started with the run API, and
a ``runcluster`` subprocess with 2 workers executes them on the configured kind
of database and broker (a scratch database, so no real run is touched).
Timings come from the rows and events the engine writes.
"""

from __future__ import annotations

import itertools
import math
import os
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command

from bench import engine_costs
from bench.report import Figure, Report
from workflows.engine import api
from workflows.engine.kinds import NodeKind
from workflows.engine.testing import ClusterProcess
from workflows.models import EventType, RunEvent, RunStatus, StepExecution, WorkflowRun
from workflows.percentiles import median, percentile

WORKERS = 2
NAP_SECONDS = 0.2


def run(*, quick: bool) -> Report:
    call_command("migrate", verbosity=0)
    from bench import engine_workloads  # noqa: F401 - registers the benchmark workflows

    broker = "redis" if settings.REDIS_URL else "orm"
    database = (
        "sqlite" if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3") else "postgresql"
    )
    report = Report(
        "engine",
        {"database": database, "broker": broker, "workers": WORKERS, "quick": quick},
    )
    _costs(report, runs=2 if quick else 3)
    _commit_floor(report, count=100 if quick else 500)
    cluster = ClusterProcess(workers=WORKERS, env=dict(os.environ), cwd=str(settings.BASE_DIR))
    try:
        _warm_up()
        _per_step(report, runs=3 if quick else 7, sqlite=database == "sqlite")
        _growth(report, runs=1 if quick else 3)
        _resume_latency(report, samples=10 if quick else 30, broker=broker)
        _fanout(report, repeats=1 if quick else 3)
        _throughput(report, runs=40 if quick else 200)
    finally:
        cluster.stop()
    return report


def _finish(workflow_id: str, timeout: float = 120.0) -> WorkflowRun:
    started = api.start_run(workflow_id, {"n": 0})
    finished = api.wait(started.pk, timeout=timeout)
    if finished.status != RunStatus.SUCCESS:
        raise RuntimeError(f"benchmark run {finished.pk} ended {finished.status}: {finished.error}")
    return finished


def _warm_up() -> None:
    _finish("bench-chain-5")


def _stamped(value: datetime | None, what: str) -> datetime:
    """A time the engine must have written by now; its absence is a broken benchmark run."""
    if value is None:
        raise RuntimeError(f"benchmark run has no {what}")
    return value


def _step_times(run: WorkflowRun) -> list[tuple[datetime, datetime]]:
    rows = StepExecution.objects.filter(run=run, kind=NodeKind.STEP).order_by("id")
    return [
        (_stamped(started, "step start"), _stamped(finished, "step finish"))
        for started, finished in rows.values_list("started_at", "finished_at")
    ]


def _ms(later: datetime, earlier: datetime) -> float:
    return (later - earlier).total_seconds() * 1000


def _per_step(report: Report, *, runs: int, sqlite: bool) -> None:
    per_run, per_step = [], []
    for _ in range(runs):
        times = _step_times(_finish("bench-chain-100"))
        per_run.append(_ms(times[-1][1], times[0][0]) / 99)
        per_step += [_ms(b[0], a[0]) for a, b in itertools.pairwise(times)]
    report.samples["per_step_ms_by_run"] = per_run
    if sqlite:
        figure = Figure(
            "per_step_ms_median",
            median(per_run),
            "ms",
            0.4,
            "target on SQLite",
            note="in-process engines measure 1.2-1.5 ms per durable step here, "
            "without surviving a worker crash",
        )
    else:
        figure = Figure(
            "per_step_ms_median",
            median(per_run),
            "ms",
            1.0,
            "target on PostgreSQL",
            note="each step is one durable PostgreSQL commit (synchronous_commit on)",
        )
    report.add(figure)
    report.add(Figure("per_step_ms_p95", percentile(per_step, 95), "ms", note="single steps"))


def _costs(report: Report, *, runs: int) -> None:
    """Statements, round trips and CPU per sequential step, counted in this process."""
    costs = engine_costs.measure(runs=runs)
    report.add(
        Figure(
            "queries_per_step",
            costs.queries_per_step,
            "statements",
            note="SQL statements per step of the 100-step chain, BEGIN and COMMIT not counted",
        )
    )
    report.add(
        Figure(
            "round_trips_per_step",
            costs.round_trips_per_step,
            "round trips",
            note=f"statements plus BEGIN and COMMIT of {costs.transactions_per_step:.2f} "
            "transactions per step; a statement outside one commits on its own",
        )
    )
    report.add(
        Figure(
            "inline_cpu_ms_per_step",
            costs.cpu_ms_per_step,
            "ms",
            note="this process's CPU time per step, run inline here (the database server's "
            "time not included)",
        )
    )


def _commit_floor(report: Report, *, count: int) -> None:
    """The machine's durable commit and Python speed during this sitting, beside the figures
    that stand on them: both change between sittings on a shared machine."""
    times = engine_costs.durable_commits(count)
    note = "one single-row UPDATE outside a transaction on the scratch database, as configured"
    report.add(Figure("durable_commit_ms_median", median(times), "ms", note=note))
    report.add(Figure("durable_commit_ms_p95", percentile(times, 95), "ms"))
    reference = engine_costs.cpu_reference_ns()
    report.add(Figure("cpu_reference_ns", reference, "ns", note='timeit "sum(range(50))"'))


def _growth(report: Report, *, runs: int) -> None:
    ratios, early_all, late_all = [], [], []
    for _ in range(runs):
        times = _step_times(_finish("bench-chain-1000", timeout=300))
        gaps = [_ms(b[0], a[0]) for a, b in itertools.pairwise(times)]
        early, late = gaps[1:101], gaps[-100:]
        early_all += early
        late_all += late
        ratios.append(median(late) / median(early))
    report.add(Figure("chain_growth_ratio", median(ratios), "x", 1.1, "target"))
    report.add(Figure("chain_early_step_ms", median(early_all), "ms", note="steps 2-101 of 1000"))
    report.add(Figure("chain_late_step_ms", median(late_all), "ms", note="steps 900-999 of 1000"))


def _resume_latency(report: Report, *, samples: int, broker: str) -> None:
    latencies = []
    for _ in range(samples):
        started = api.start_run("bench-gate", {"n": 0})
        api.wait(started.pk, timeout=30)
        api.resume_run(started.pk, {"go": True})
        returned = time.time()
        api.wait(started.pk, timeout=30, until=[RunStatus.SUCCESS, RunStatus.FAILED])
        restart = (
            RunEvent.objects.filter(run=started, type=EventType.STEP_STARTED, path_key="gate")
            .order_by("-id")
            .values_list("created_at", flat=True)
            .first()
        )
        latencies.append((_stamped(restart, "restart").timestamp() - returned) * 1000)
    report.samples["resume_to_next_step_ms"] = latencies
    target = 3.0 if broker == "redis" else 10.0
    name = "target with Redis" if broker == "redis" else "target embedded"
    report.add(Figure("resume_to_next_step_ms_p50", median(latencies), "ms", target, name))
    report.add(Figure("resume_to_next_step_ms_p95", percentile(latencies, 95), "ms"))


def _fanout(report: Report, *, repeats: int) -> None:
    overheads: dict[str, float] = {}
    for width in (3, 20):
        ideal = math.ceil(width / WORKERS) * NAP_SECONDS * 1000
        samples = []
        for _ in range(repeats):
            began = time.time()
            finished = _finish(f"bench-fan-{width}")
            ended = _stamped(finished.finished_at, "finish").timestamp()
            samples.append((ended - began) * 1000 - ideal)
        overheads[str(width)] = median(samples)
        report.add(
            Figure(
                f"fanout_overhead_ms_{width}",
                median(samples),
                "ms",
                note=f"{width} branches of {NAP_SECONDS * 1000:.0f} ms on {WORKERS} workers, "
                f"over the ideal {ideal:.0f} ms",
            )
        )
    report.extra["fanout_overhead_ms"] = overheads


def _throughput(report: Report, *, runs: int) -> None:
    began = time.time()
    ids = [api.start_run("bench-chain-5", {"n": 0}).pk for _ in range(runs)]
    deadline = time.monotonic() + 600
    pending = WorkflowRun.objects.filter(pk__in=ids).exclude(status__in=RunStatus.terminal())
    while pending.exists():
        if time.monotonic() > deadline:
            raise RuntimeError("throughput runs did not finish within 10 minutes")
        time.sleep(0.1)
    failed = WorkflowRun.objects.filter(pk__in=ids).exclude(status=RunStatus.SUCCESS).count()
    if failed:
        raise RuntimeError(f"{failed} throughput runs did not succeed")
    ends = WorkflowRun.objects.filter(pk__in=ids).values_list("finished_at", flat=True)
    elapsed = max(_stamped(end, "finish").timestamp() for end in ends) - began
    report.add(
        Figure(
            "throughput_steps_per_s",
            runs * 5 / elapsed,
            "steps/s",
            lower_is_better=False,
            note=f"{runs} concurrent 5-step runs on {WORKERS} workers in {elapsed:.1f} s",
        )
    )


def write(report: Report, json_path: Path | None, out: Any) -> None:
    report.print_table(out)
    if json_path is not None:
        report.write_json(json_path)
        out.write(f"\nwrote {json_path}\n")
