"""What one sequential step costs the database: statements, round trips and CPU, counted here.

The cluster's workers run steps in other processes, which a query counter in
this process cannot see, and counting inside them would mean a benchmark hook
in the worker. A sequential chain does not need one: after its first claim a
worker runs the whole chain through ``worker.run_execution`` (claim, run the
step, commit, claim the next step inline), so that same function, called here
with the manual queue, runs exactly the statements a cluster worker runs for
each step. It runs before the cluster starts, on the same scratch database.
"""

from __future__ import annotations

import time
import timeit
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.test.utils import override_settings

from workflows.engine import api, queue, worker
from workflows.engine.kinds import NodeKind
from workflows.models import RunStatus, StepExecution

CHAIN = "bench-chain-100"


@dataclass
class StatementCounter:
    """An ``execute_wrapper`` that counts statements and the transactions they ran in.

    Django sends SQLite's ``BEGIN`` through the cursor and psycopg sends
    PostgreSQL's implicitly, so ``BEGIN`` is left out of the statements and
    every transaction is counted once, by an on-commit hook its first
    statement registers.
    """

    statements: int = 0
    transactions: int = 0

    def __post_init__(self) -> None:
        self._hook = self._committed

    def __call__(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        if sql.startswith("BEGIN"):
            return execute(sql, params, many, context)
        self.statements += 1
        if connection.in_atomic_block and not any(
            entry[1] == self._hook for entry in connection.run_on_commit
        ):
            transaction.on_commit(self._hook)
        return execute(sql, params, many, context)

    def _committed(self) -> None:
        self.transactions += 1

    @property
    def round_trips(self) -> int:
        """Each statement, plus each transaction's ``BEGIN`` and ``COMMIT``."""
        return self.statements + 2 * self.transactions


@dataclass
class StepCosts:
    queries_per_step: float
    round_trips_per_step: float
    transactions_per_step: float
    cpu_ms_per_step: float


def measure(*, runs: int) -> StepCosts:
    """Run the 100-step chain ``runs`` times in this process; the costs of the last run."""
    with override_settings(HANDOFF_QUEUE="manual"):
        for _ in range(runs - 1):
            _chain(None)
        counter = StatementCounter()
        steps, cpu_seconds = _chain(counter)
    return StepCosts(
        queries_per_step=counter.statements / steps,
        round_trips_per_step=counter.round_trips / steps,
        transactions_per_step=counter.transactions / steps,
        cpu_ms_per_step=cpu_seconds * 1000 / steps,
    )


def _chain(counter: StatementCounter | None) -> tuple[int, float]:
    """Start the chain and run it to the end here; its step count and the CPU time it took."""
    queue.manual_queue.clear()
    started = api.start_run(CHAIN, {"n": 0})
    began = time.process_time()
    if counter is None:
        _drain()
    else:
        with connection.execute_wrapper(counter):
            _drain()
    cpu_seconds = time.process_time() - began
    started.refresh_from_db()
    if started.status != RunStatus.SUCCESS:
        raise RuntimeError(f"the in-process chain {started.pk} ended {started.status}")
    return StepExecution.objects.filter(run=started, kind=NodeKind.STEP).count(), cpu_seconds


def _drain() -> None:
    while queue.manual_queue:
        worker.run_execution(queue.manual_queue.popleft())


COMMIT_TABLE = "bench_durable_commit"


def durable_commits(count: int) -> list[float]:
    """How long one durable commit takes here and now, in ms: ``count`` single-row UPDATEs,
    each outside a transaction, on the scratch database as configured.

    It is the floor a step's commit stands on, and the one figure that says
    how fast this machine's disk was during a sitting: the same statements of
    the engine measured 1.4 ms per step in one sitting and 3.1 ms in another.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {COMMIT_TABLE} (id integer PRIMARY KEY, n integer)"
        )
        cursor.execute(f"DELETE FROM {COMMIT_TABLE}")
        cursor.execute(f"INSERT INTO {COMMIT_TABLE} (id, n) VALUES (1, 0)")
        times = []
        for _ in range(count):
            began = time.perf_counter()
            cursor.execute(f"UPDATE {COMMIT_TABLE} SET n = n + 1 WHERE id = 1")
            times.append((time.perf_counter() - began) * 1000)
        cursor.execute(f"DROP TABLE {COMMIT_TABLE}")
    return times


def cpu_reference_ns() -> float:
    """This machine's Python speed here and now: ``python -m timeit "sum(range(50))"``, the best
    of five, in ns per loop. The step figures' CPU share scales with it between sittings."""
    timer = timeit.Timer("sum(range(50))")
    loops = 200_000
    return min(timer.repeat(repeat=5, number=loops)) / loops * 1e9
