"""The ticker: fires due timers, recovers executions whose worker vanished, re-sends lost work.

It starts with the cluster, whichever command starts it: every django-q2
worker process runs one in a thread (``start_in_worker``, on django-q2's
``post_spawn`` signal), so plain ``manage.py qcluster`` completes sleeps,
retry backoffs and lease recovery just as ``runcluster`` does, and a worker
killed mid-step leaves the other workers' tickers (and its replacement's) to
recover its step. Any number of tickers may run on any number of hosts: each
transition re-checks its row under the run lock, so two tickers racing for one
timer fire it once.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import close_old_connections
from django.utils import timezone

from workflows.engine import conf, queue
from workflows.engine.checkpoint import Checkpointer
from workflows.engine.entry import expire_lease, fire_timer
from workflows.models import ExecutionStatus, StepExecution

logger = logging.getLogger(__name__)

REQUEUE_AFTER = timedelta(seconds=30)
BATCH = 200


@dataclass
class TickReport:
    timers_fired: int = 0
    leases_expired: int = 0
    requeued: int = 0
    application: int = 0  # what registered application timers did

    @property
    def total(self) -> int:
        return self.timers_fired + self.leases_expired + self.requeued + self.application


ApplicationTimer = Callable[[datetime], int]
_application_timers: list[ApplicationTimer] = []


def register(timer: ApplicationTimer) -> None:
    """Run ``timer(now)`` on every tick, wherever a ticker runs.

    For applications' own durable timers (a review's due time): their state
    lives in the database, so a timer due while no ticker ran fires on the
    first tick after, and each must record its firing in the same
    transaction as its effect, so several tickers fire it once. Returns how
    many it fired.
    """
    if timer not in _application_timers:
        _application_timers.append(timer)


def tick() -> TickReport:
    now = timezone.now()
    report = TickReport()
    due = StepExecution.objects.due_timers(now)
    for execution_id in due.values_list("pk", flat=True)[:BATCH]:
        report.timers_fired += _isolated(fire_timer, execution_id)
    expired = StepExecution.objects.expired_leases(now)
    for execution_id in expired.values_list("pk", flat=True)[:BATCH]:
        report.leases_expired += _isolated(expire_lease, execution_id)
    stale = list(
        StepExecution.objects.queued_before(now - REQUEUE_AFTER).values_list("pk", flat=True)[
            :BATCH
        ]
    )
    if stale:
        StepExecution.objects.filter(pk__in=stale, status=ExecutionStatus.PENDING).update(
            enqueued_at=now
        )
        queue.enqueue_now(stale)
        report.requeued = len(stale)
    for timer in _application_timers:
        try:
            report.application += timer(now)
        except Exception:
            logger.exception("ticker: application timer %s failed", timer)
    return report


def _isolated(transition: Callable[[int], bool], execution_id: int) -> bool:
    """One row's failure is logged and skipped, so it cannot hold up every other run's timers."""
    try:
        return transition(execution_id)
    except Exception:
        logger.exception("ticker: %s failed for execution %s", transition.__name__, execution_id)
        return False


def seconds_until_next_timer(default: float) -> float:
    wake_at = StepExecution.objects.timers().values_list("wake_at", flat=True).first()
    if wake_at is None:
        return default
    return max(0.0, min(default, (wake_at - timezone.now()).total_seconds()))


def run_forever(stop: threading.Event, *, interval: float = 0.25) -> None:
    """Tick until ``stop`` is set; sleeps no longer than the next timer needs."""
    checkpoint = Checkpointer()
    while not stop.is_set():
        try:
            checkpoint()
            report = tick()
            if report.total:
                logger.info("ticker: %s", report)
            pause = 0.0 if report.total else seconds_until_next_timer(interval)
        except Exception:
            logger.exception("ticker failed; retrying")
            close_old_connections()
            pause = 1.0
        stop.wait(pause)


_started_in: int | None = None  # the pid whose ticker thread is running


def start_in_worker(**_: object) -> None:
    """django-q2's ``post_spawn``: run a ticker thread in this worker process, once.

    Off when ``HANDOFF_TICKER`` is false (a ticker runs elsewhere) or the queue
    is the in-process one of the tests. The thread is a daemon: it ends with its
    worker, and the worker that replaces it starts a new one.
    """
    global _started_in
    if not conf.TICKER.get() or _started_in == os.getpid():
        return
    if conf.QUEUE.get() == "manual":
        return
    _started_in = os.getpid()
    thread = threading.Thread(
        target=run_forever, args=(threading.Event(),), name="handoff-ticker", daemon=True
    )
    thread.start()
    logger.info("ticker started in worker process %s", os.getpid())
