"""What ``bench load`` checks in the database once the load is over.

The ledger says what people did (decisions accepted, events each watcher
received); the rows and the event log say what the engine did. They must agree:

- **lost work**: a run that did not complete, a step of a completed run that
  never succeeded, a review round missing, an accepted decision with no
  ``step.resumed`` event;
- **duplicated work**: a step committed twice (two ``step.completed`` events for
  one execution, or two successful rows for one step, iteration and item), a
  decision recorded twice (two ``step.resumed`` or ``review.decided`` events for
  one question, or two accepted answers to it);
- **watcher gaps**: a watcher whose events differ from the run's log after its
  first state, or who did not end with the run's final state.
"""

from __future__ import annotations

import math
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from bench.load_traffic import Ledger
from bench.load_watch import Watch
from workflows.engine.kinds import NodeKind
from workflows.models import (
    ExecutionStatus,
    RunEvent,
    RunStatus,
    StepExecution,
    Suspension,
    WorkflowRun,
)

DECIDED = "review.decided"
STEPS = ("outline", "keywords", "search", "community", "angle_review", "draft", "finalise")
REVIEW_STEP = "brief_review"


@dataclass(frozen=True)
class Findings:
    runs_completed: int
    runs_failed: int
    lost_work: int
    duplicated_work: int
    decisions_recorded: int
    watcher_gaps: int
    waiting_max: int
    busy_seconds: float


def audit(ledger: Ledger) -> Findings:
    run_ids = ledger.run_ids
    completed = set(
        str(pk)
        for pk in WorkflowRun.objects.filter(pk__in=run_ids, status=RunStatus.SUCCESS).values_list(
            "pk", flat=True
        )
    )
    resumed = _per_question(run_ids, "step.resumed")
    decided = _per_question(run_ids, DECIDED)
    return Findings(
        runs_completed=len(completed),
        runs_failed=WorkflowRun.objects.filter(pk__in=run_ids, status=RunStatus.FAILED).count(),
        lost_work=len(run_ids)
        - len(completed)
        + _missing_steps(completed, ledger)
        + sum(1 for question in ledger.accepted if resumed[question] == 0),
        duplicated_work=_duplicate_commits(run_ids)
        + _extra(resumed.values())
        + _extra(decided.values())
        + _extra(ledger.accepted.values()),
        decisions_recorded=sum(resumed.values()),
        watcher_gaps=sum(not _whole(watch) for watch in ledger.watches),
        waiting_max=waiting_max(run_ids),
        busy_seconds=_busy_seconds(run_ids),
    )


def _extra(counts: Iterable[int]) -> int:
    return sum(count - 1 for count in counts if count > 1)


def _per_question(run_ids: list[str], event_type: str) -> Counter[str]:
    return Counter(
        str(data.get("suspension_id"))
        for data in RunEvent.objects.filter(run__in=run_ids, type=event_type).values_list(
            "data", flat=True
        )
    )


def _duplicate_commits(run_ids: list[str]) -> int:
    events = Counter(
        RunEvent.objects.filter(run__in=run_ids, type="step.completed").values_list(
            "execution_id", flat=True
        )
    )
    rows = Counter(
        StepExecution.objects.filter(
            run__in=run_ids, kind=NodeKind.STEP, status=ExecutionStatus.SUCCESS
        ).values_list("run_id", "path_key", "iteration", "item_index")
    )
    return _extra(events.values()) + _extra(rows.values())


def _missing_steps(completed: set[str], ledger: Ledger) -> int:
    """Steps of completed runs that never succeeded, and review rounds that never happened."""
    done = Counter(
        (str(run_id), step_id)
        for run_id, step_id in StepExecution.objects.filter(
            run__in=completed, kind=NodeKind.STEP, status=ExecutionStatus.SUCCESS
        ).values_list("run_id", "step_id")
    )
    missing = 0
    for run_id in completed:
        missing += sum(done[(run_id, step)] == 0 for step in STEPS)
        rounds = ledger.changes_per_run[run_id] + 1
        missing += max(0, rounds - done[(run_id, REVIEW_STEP)])
    return missing


def _whole(watch: Watch) -> bool:
    """Every event after the watcher's first state, once each, in order, up to the run's end."""
    expected = list(
        RunEvent.objects.for_run(uuid.UUID(watch.run_id))
        .after(watch.state_event_id or 0)
        .values_list("id", flat=True)
    )
    status = WorkflowRun.objects.values_list("status", flat=True).get(pk=watch.run_id)
    return watch.event_ids == expected and watch.ended and status == RunStatus.SUCCESS


def waiting_max(run_ids: list[str]) -> int:
    """The most questions open at one moment, swept over every question's open interval."""
    changes: list[tuple[float, int]] = []
    for opened, answered in Suspension.objects.filter(run__in=run_ids).values_list(
        "created_at", "resumed_at"
    ):
        changes.append((opened.timestamp(), 1))
        changes.append((answered.timestamp() if answered else math.inf, -1))
    most = current = 0
    for _, change in sorted(changes):  # at equal times -1 sorts first: answered, then opened
        current += change
        most = max(most, current)
    return most


def _busy_seconds(run_ids: list[str]) -> float:
    """From the first run's start to the last run's end."""
    runs = WorkflowRun.objects.filter(pk__in=run_ids)
    first = runs.order_by("created_at").values_list("created_at", flat=True).first()
    last = (
        runs.exclude(finished_at=None)
        .order_by("-finished_at")
        .values_list("finished_at", flat=True)
        .first()
    )
    if first is None or last is None:
        return math.nan
    return (last - first).total_seconds()
