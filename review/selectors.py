"""Reads shaped for the run page and the dashboard, used by views and consumers alike.

The run page draws the executions that exist (a run is a tree of rows), so what
it shows is exactly what happened: parallel branches side by side, one group per
loop iteration or foreach item, and the workflow's not-yet-started top-level
steps from the graph the run started with.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Count, Max, QuerySet

from review import timeline
from review.permissions import runs_visible_to
from workflows.engine.kinds import FUNCTION_KINDS, LOOP_KINDS, NodeKind
from workflows.models import RunEvent, StepExecution, WorkflowRun

DASHBOARD_LIMIT = 50
TIMELINE_LIMIT = 200


@dataclass(frozen=True)
class Progress:
    done: int
    planned: int

    @property
    def percent(self) -> int:
        if not self.planned:
            return 0
        return min(100, round(100 * self.done / self.planned))


def planned_steps(graph: dict[str, Any]) -> int:
    """Steps in the definition, each counted once (loops and foreach may run them more)."""

    def count(node: dict[str, Any]) -> int:
        kind = node.get("kind")
        if kind in FUNCTION_KINDS:
            return 1
        children: list[dict[str, Any]] = []
        children += node.get("nodes", [])
        children += node.get("branches", [])
        children += [case["node"] for case in node.get("cases", [])]
        if "body" in node:
            children.append(node["body"])
        return sum(count(child) for child in children)

    return count({"nodes": graph.get("nodes", [])})


COUNTED_KINDS = FUNCTION_KINDS


def with_progress(runs: list[WorkflowRun]) -> list[WorkflowRun]:
    """Set ``steps_done`` on each run: distinct steps finished at least once.

    Counting each step once (not each loop round or retry) keeps progress from
    jumping back and forth as review rounds happen; rounds are shown apart.
    One query for the runs given, so a page of runs never aggregates the table.
    """
    if not runs:
        return runs
    done = dict(
        StepExecution.objects.filter(
            run_id__in=[run.pk for run in runs], status="success", kind__in=COUNTED_KINDS
        )
        .values("run_id")
        .annotate(steps=Count("path_key", distinct=True))
        .values_list("run_id", "steps")
    )
    for run in runs:
        run.steps_done = done.get(run.pk, 0)  # type: ignore[attr-defined]
    return runs


def run_progress(run: WorkflowRun) -> Progress:
    planned = planned_steps(run.graph or {})
    done = getattr(run, "steps_done", None)
    if done is None:
        done = (
            StepExecution.objects.filter(run=run, status="success", kind__in=COUNTED_KINDS)
            .values("path_key")
            .distinct()
            .count()
        )
    if run.status == "success" and not run.bailed:
        done = planned = max(planned, done, 1)
    return Progress(done=done, planned=max(planned, done))


def dashboard_runs(user: Any, *, limit: int = DASHBOARD_LIMIT) -> list[WorkflowRun]:
    runs: QuerySet[WorkflowRun] = runs_visible_to(user).select_related("created_by")
    return with_progress(list(runs.order_by("-created_at")[:limit]))


@dataclass
class PipelineGroup:
    label: str
    nodes: list[PipelineNode]


@dataclass
class PipelineNode:
    execution: StepExecution | None  # None: a planned step that has not started
    step_id: str
    kind: str
    groups: list[PipelineGroup] = field(default_factory=list)

    @property
    def layout(self) -> str:
        if self.kind in (NodeKind.PARALLEL, NodeKind.BRANCH):
            return "side-by-side"
        if self.kind == NodeKind.FOREACH:
            return "items"
        return "sequence"


def pipeline(run: WorkflowRun, executions: list[StepExecution]) -> list[PipelineNode]:
    """The run's top-level nodes, each with its children; planned steps appended."""
    children: dict[int | None, list[StepExecution]] = {}
    for row in executions:
        children.setdefault(row.parent_id, []).append(row)

    def build(row: StepExecution) -> PipelineNode:
        node = PipelineNode(execution=row, step_id=row.step_id, kind=row.kind)
        kids = children.get(row.pk, [])
        if row.kind in LOOP_KINDS:
            by_round: dict[int, list[PipelineNode]] = {}
            for kid in kids:
                by_round.setdefault(kid.iteration, []).append(build(kid))
            node.groups = [PipelineGroup(f"round {i}", n) for i, n in by_round.items()]
        elif row.kind == NodeKind.FOREACH:
            by_item: dict[int, list[PipelineNode]] = {}
            for kid in kids:
                by_item.setdefault(kid.item_index or 0, []).append(build(kid))
            node.groups = [PipelineGroup(f"item {i}", n) for i, n in sorted(by_item.items())]
        elif row.kind in (NodeKind.PARALLEL, NodeKind.BRANCH):
            node.groups = [PipelineGroup("", [build(kid)]) for kid in kids]
        elif kids:
            node.groups = [PipelineGroup("", [build(kid) for kid in kids])]
        return node

    roots = children.get(None, [])
    if not roots:
        top: list[PipelineNode] = []
    else:
        top = [build(kid) for kid in children.get(roots[0].pk, [])]
    started = {node.step_id for node in top}
    for planned in (run.graph or {}).get("nodes", []):
        if planned.get("id") not in started and not run.is_terminal:
            top.append(PipelineNode(execution=None, step_id=planned["id"], kind=planned["kind"]))
    return top


def executions_of(run: WorkflowRun) -> list[StepExecution]:
    """The run's rows, each with ``streamed``: the text a running step has emitted so far."""
    rows = list(
        StepExecution.objects.filter(run=run)
        .select_related("resumed_by")
        .order_by("id")
        .defer("bookkeeping", "claim_token")
    )
    running = {row.pk: row for row in rows if row.status == "running" and row.is_leaf}
    streamed = streamed_text(run, list(running)) if running else {}
    for row in rows:
        row.streamed = streamed.get(row.pk, "")  # type: ignore[attr-defined]
    return rows


def token_events(run: WorkflowRun) -> QuerySet[RunEvent]:
    return RunEvent.objects.filter(run=run, type="step.output", data__type="token")


def streamed_text(run: WorkflowRun, execution_ids: list[int]) -> dict[int, str]:
    """Tokens of the running attempts, joined; what a viewer arriving mid-draft sees."""
    texts: dict[int, list[str]] = {}
    starts = dict(
        RunEvent.objects.filter(run=run, type="step.started", execution_id__in=execution_ids)
        .values_list("execution_id")
        .annotate(last=Max("id"))
    )
    tokens = token_events(run).filter(execution_id__in=execution_ids).order_by("id")
    for execution_id, event_id, data in tokens.values_list("execution_id", "id", "data"):
        if event_id > starts.get(execution_id, 0):
            texts.setdefault(execution_id, []).append(str((data.get("data") or {}).get("text", "")))
    return {key: "".join(parts) for key, parts in texts.items()}


def is_token(event: dict[str, Any]) -> bool:
    return event.get("type") == "step.output" and (event.get("data") or {}).get("type") == "token"


@dataclass
class RunPage:
    run: WorkflowRun
    progress: Progress
    nodes: list[PipelineNode]
    executions: list[StepExecution]
    events: list[dict[str, Any]]
    earlier_events: bool


def run_page(run: WorkflowRun) -> RunPage:
    """Everything the run page draws, in four queries whatever the run's size."""
    executions = executions_of(run)
    recent = list(
        RunEvent.objects.filter(run=run, id__lte=run.last_event_id)
        .exclude(type="step.output", data__type="token")
        .select_related("actor")
        .order_by("-id")[: TIMELINE_LIMIT + 1]
    )
    events = [timeline_entry(event.as_dict()) for event in recent[:TIMELINE_LIMIT]]
    return RunPage(
        run=run,
        progress=run_progress(run),
        nodes=pipeline(run, executions),
        executions=executions,
        events=events,
        earlier_events=len(recent) > TIMELINE_LIMIT,
    )


def timeline_entry(event: dict[str, Any]) -> dict[str, Any]:
    """An event as the stream sends it, plus the words and label the timeline shows."""
    return {
        **event,
        "when": datetime.fromisoformat(event["at"]),
        "label": timeline.label(event),
        "sentence": timeline.sentence(event),
    }
