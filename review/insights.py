"""Review insights, computed from the event log, so they hold for any past period.

One pass over the period's review-related events (questions asked and
answered, decisions, edits, runs ending) gives:
- time to decision per step and per reviewer (median and p90);
- queue depth over the period (open questions at each of 24 moments);
- per round of a step with a draft: how often people edited the AI's text,
  requested changes, rejected it or approved it;
- rounds until approval.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from workflows import presentation
from workflows.models import RunEvent
from workflows.percentiles import median, percentile

PERIODS = {"7": 7, "30": 30, "90": 90, "all": None}
DEPTH_POINTS = 24
EVENTS = (
    "step.suspended",
    "step.resumed",
    "review.decided",
    "review.draft_edited",
    "run.completed",
    "run.failed",
    "run.canceled",
)


@dataclass(frozen=True)
class Timing:
    label: str
    count: int
    median_s: float
    p90_s: float


@dataclass(frozen=True)
class RoundOutcomes:
    round: int
    questions: int
    edited: int
    outcomes: dict[str, int]


@dataclass
class Insights:
    since: datetime | None
    until: datetime
    by_step: list[Timing] = field(default_factory=list)
    by_reviewer: list[Timing] = field(default_factory=list)
    depth: list[tuple[datetime, int]] = field(default_factory=list)
    rounds: list[RoundOutcomes] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    rounds_to_approval: dict[int, int] = field(default_factory=dict)
    decisions: int = 0


@dataclass
class _Question:
    run_id: Any
    workflow_id: str
    step: str
    round: int
    asked: datetime
    closed: bool = False


def events_for(workflow_id: str, since: datetime | None) -> QuerySet[RunEvent]:
    events = RunEvent.objects.filter(type__in=EVENTS)
    if workflow_id:
        events = events.filter(run__workflow_id=workflow_id)
    if since is not None:
        events = events.filter(created_at__gte=since)
    return events.order_by("id")


def compute(workflow_id: str = "", days: int | None = 30) -> Insights:
    until = timezone.now()
    since = until - timedelta(days=days) if days else None
    result = Insights(since=since, until=until)
    questions: dict[str, _Question] = {}
    waits_step: dict[str, list[float]] = defaultdict(list)
    waits_who: dict[str, list[float]] = defaultdict(list)
    edited: set[str] = set()
    outcomes: dict[int, Counter[str]] = defaultdict(Counter)
    changes: list[tuple[datetime, int]] = []
    rows = events_for(workflow_id, since).values_list(
        "run_id", "run__workflow_id", "type", "path_key", "data", "created_at", "actor__username"
    )
    for run_id, run_workflow, kind, path, data, at, actor in rows.iterator(chunk_size=2000):
        data = data or {}
        key = str(data.get("suspension_id", ""))
        step = path.rsplit(".", 1)[-1] if path else ""
        if kind == "step.suspended" and key:
            questions[key] = _Question(run_id, run_workflow, step, data.get("iteration") or 1, at)
            changes.append((at, +1))
        elif kind == "step.resumed" and key in questions and not questions[key].closed:
            question = questions[key]
            question.closed = True
            changes.append((at, -1))
            result.decisions += 1  # a program's answer too: the timings count it
            waited = (at - question.asked).total_seconds()
            waits_step[step].append(waited)
            waits_who[actor or "(a program)"].append(waited)
        elif kind == "review.draft_edited":
            edited.add(key)
        elif kind == "review.decided" and key in questions:
            _count_outcome(questions[key], data, outcomes, result)
        elif kind.startswith("run."):
            for question in questions.values():
                if question.run_id == run_id and not question.closed:
                    question.closed = True
                    changes.append((at, -1))
    result.by_step = _timings(waits_step)
    result.by_reviewer = _timings(waits_who)
    result.depth = _depth(changes, since, until)
    result.rounds = [
        RoundOutcomes(
            round=number,
            questions=sum(counts.values()),
            edited=sum(
                1
                for key, question in questions.items()
                if key in edited and question.round == number and _has_draft(question)
            ),
            outcomes=dict(counts),
        )
        for number, counts in sorted(outcomes.items())
    ]
    result.actions = sorted({action for counts in outcomes.values() for action in counts})
    return result


def _has_draft(question: _Question) -> bool:
    return question.step in presentation.get(question.workflow_id).drafts


def _count_outcome(
    question: _Question,
    data: dict[str, Any],
    outcomes: dict[int, Counter[str]],
    result: Insights,
) -> None:
    hook = presentation.get(question.workflow_id).drafts.get(question.step)
    if hook is None:
        return
    action = str((data.get("decision") or {}).get(hook.action_field, ""))
    outcomes[question.round][action] += 1
    if action == hook.approve:
        result.rounds_to_approval[question.round] = (
            result.rounds_to_approval.get(question.round, 0) + 1
        )


def _timings(samples: dict[str, list[float]]) -> list[Timing]:
    return [
        Timing(
            label=label, count=len(values), median_s=median(values), p90_s=percentile(values, 90)
        )
        for label, values in sorted(samples.items())
    ]


def _depth(
    changes: list[tuple[datetime, int]], since: datetime | None, until: datetime
) -> list[tuple[datetime, int]]:
    """The most questions waiting at once in each of 24 equal slices of the period.

    The peak, not a sample at the slice's end, so a burst answered within a
    slice still shows. Questions asked before the period are not seen.
    """
    if not changes:
        return []
    changes = sorted(changes, key=lambda change: change[0])
    start = since or changes[0][0]
    step = (until - start) / DEPTH_POINTS
    points, depth, index = [], 0, 0
    for number in range(1, DEPTH_POINTS + 1):
        moment = start + step * number
        peak = depth
        while index < len(changes) and changes[index][0] <= moment:
            depth = max(0, depth + changes[index][1])
            peak = max(peak, depth)
            index += 1
        points.append((moment, peak))
    return points
