"""The snapshot: a documented JSON picture of a run (format in docs/snapshot.md).

The current snapshot is read from the rows every transition keeps current; a
snapshot as of a past event is folded from the event log up to that id. Both
go through one document builder, and the test suite checks they agree.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

from workflows.engine.errors import InvalidArgument, NotFound
from workflows.engine.kinds import CONSTRUCT_KINDS, NodeKind
from workflows.engine.runs import get_run
from workflows.models import (
    ExecutionStatus,
    RunEvent,
    StepExecution,
    WorkflowRun,
)

FORMAT = "handoff.snapshot"
VERSION = 1
ACTIVE_LEAF = {ExecutionStatus.PENDING, ExecutionStatus.RUNNING}
BEFORE_START = "pending"  # the status as of an event before the run's first


@dataclass
class ExecutionState:
    id: int
    kind: str
    path_key: str
    iteration: int = 0
    item_index: int | None = None
    status: str = ExecutionStatus.PENDING
    input: Any = None
    output: Any = None
    error: Any = None
    suspend_payload: Any = None
    resume_data: Any = None
    attempts: int = 0
    started_at: str | None = None
    finished_at: str | None = None
    wake_at: str | None = None


@dataclass
class RunState:
    status: str = BEFORE_START
    input: Any = None
    state: dict[str, Any] = field(default_factory=dict)
    result: Any = None
    error: Any = None
    bailed: bool = False
    executions: dict[int, ExecutionState] = field(default_factory=dict)
    open_suspensions: dict[int, dict[str, Any]] = field(default_factory=dict)


def snapshot(run_id: Any, *, as_of: int | None = None) -> dict[str, Any]:
    """The run now, or as it was right after event ``as_of``."""
    run = get_run(run_id)
    if as_of is None:
        return _document(run, _state_from_rows(run), run.last_event_id)
    if isinstance(as_of, bool) or not isinstance(as_of, int):
        raise InvalidArgument("as_of", "must be an event id (a whole number)")
    if as_of < 0:
        raise NotFound("as_of must be an event id (0 or more)")
    state, last = _state_from_events(run, as_of)
    return _document(run, state, last)


def export_snapshot(run_id: Any, *, as_of: int | None = None) -> str:
    return json.dumps(
        snapshot(run_id, as_of=as_of), cls=DjangoJSONEncoder, indent=2, sort_keys=True
    )


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _state_from_rows(run: WorkflowRun) -> RunState:
    state = RunState(
        status=run.status,
        input=run.input,
        state=run.state,
        result=run.result,
        error=_public(run.error),
        bailed=run.bailed,
    )
    for row in StepExecution.objects.filter(run=run).order_by("id"):
        state.executions[row.pk] = ExecutionState(
            id=row.pk,
            kind=row.kind,
            path_key=row.path_key,
            iteration=row.iteration,
            item_index=row.item_index,
            status=row.status,
            input=row.input,
            output=row.output,
            error=_public(row.error),
            suspend_payload=row.suspend_payload,
            resume_data=row.resume_data,
            attempts=row.attempts,
            started_at=_iso(row.started_at),
            finished_at=_iso(row.finished_at),
            wake_at=_iso(row.wake_at) if row.status == ExecutionStatus.WAITING else None,
        )
    for suspension in run.suspensions.open():
        state.open_suspensions[suspension.execution_id] = _suspension_info(
            str(suspension.id), suspension.fingerprint, suspension.label
        )
    return state


def _suspension_info(suspension_id: str, fingerprint: str, label: str) -> dict[str, Any]:
    return {"suspension_id": suspension_id, "fingerprint": fingerprint, "label": label}


def _public(error: Any) -> Any:
    if isinstance(error, dict):
        return {k: v for k, v in error.items() if k != "traceback"}
    return error


# --- folding the event log --------------------------------------------------------------------


def _state_from_events(run: WorkflowRun, as_of: int) -> tuple[RunState, int]:
    state = RunState()
    last = 0
    events = (
        RunEvent.objects.filter(run=run, id__lte=as_of)
        .exclude(type="step.output")
        .order_by("id")
        .values("id", "type", "execution_id", "path_key", "data", "created_at")
    )
    for event in events.iterator(chunk_size=500):
        _fold(state, event)
        last = event["id"]
    return state, last


def _fold(state: RunState, event: Mapping[str, Any]) -> None:
    kind, data = event["type"], event["data"] or {}
    at = _iso(event["created_at"])
    if kind.startswith("run.") or kind == "state.changed":
        _fold_run(state, kind, data)
        return
    execution_id = event["execution_id"]
    if execution_id is None:
        return
    row = state.executions.get(execution_id)
    if row is None:
        row = ExecutionState(
            id=execution_id,
            kind=data.get("kind", NodeKind.STEP),
            path_key=event["path_key"],
            iteration=data.get("iteration") or 0,
            item_index=data.get("item_index"),
        )
        state.executions[execution_id] = row
    _fold_step(state, row, kind, data, at)


def _fold_run(state: RunState, kind: str, data: dict[str, Any]) -> None:
    if kind == "run.started":
        state.status, state.input = "running", data.get("input")
    elif kind == "state.changed":
        state.state = data.get("state", {})
    elif kind == "run.suspended":
        state.status = "suspended"
    elif kind in ("run.resumed", "run.retried"):
        state.status, state.error = "running", None
    elif kind == "run.completed":
        state.status, state.result, state.bailed = (
            "success",
            data.get("result"),
            data.get("bailed", False),
        )
        if state.bailed:
            _close_open(state, ExecutionStatus.SKIPPED)
    elif kind == "run.failed":
        state.status, state.error = "failed", data.get("error")
    elif kind == "run.canceled":
        state.status = "canceled"
        _close_open(state, ExecutionStatus.CANCELED)


def _close_open(state: RunState, status: str) -> None:
    for row in state.executions.values():
        if row.status in ExecutionStatus.terminal():
            continue
        if row.status == ExecutionStatus.RUNNING and row.kind not in CONSTRUCT_KINDS:
            continue
        row.status = status
    state.open_suspensions.clear()


def _fold_step(
    state: RunState, row: ExecutionState, kind: str, data: dict[str, Any], at: str | None
) -> None:
    if kind == "step.started":
        row.status = ExecutionStatus.RUNNING
        row.attempts = data.get("attempt", row.attempts)
        if "input" in data:
            row.input = data["input"]
        row.started_at = row.started_at or at
    elif kind == "step.waiting":
        row.status, row.wake_at = ExecutionStatus.WAITING, data.get("wake_at")
        if "input" in data:
            row.input = data["input"]
        row.started_at = row.started_at or at
    elif kind == "step.completed":
        row.status, row.output, row.finished_at = ExecutionStatus.SUCCESS, data.get("output"), at
        row.wake_at = None
    elif kind == "step.failed":
        row.status, row.error, row.finished_at = ExecutionStatus.FAILED, data.get("error"), at
    elif kind == "step.suspended":
        row.status, row.suspend_payload = ExecutionStatus.SUSPENDED, data.get("payload")
        state.open_suspensions[row.id] = _suspension_info(
            data.get("suspension_id", ""), data.get("fingerprint", ""), data.get("label", "")
        )
    elif kind == "step.resumed":
        row.status, row.resume_data = ExecutionStatus.PENDING, data.get("resume_data")
        state.open_suspensions.pop(row.id, None)
    elif kind == "step.retrying" and data.get("reason") in ("manual", "lease_expired"):
        row.status, row.error, row.finished_at = ExecutionStatus.PENDING, None, None


# --- the document -----------------------------------------------------------------------------


def _document(run: WorkflowRun, state: RunState, last_event_id: int) -> dict[str, Any]:
    rows = list(state.executions.values())
    leaves = [row for row in rows if row.kind not in CONSTRUCT_KINDS]
    return {
        "format": FORMAT,
        "version": VERSION,
        "run_id": str(run.pk),
        "workflow_id": run.workflow_id,
        "definition_version": run.definition_version,
        "as_of_event_id": last_event_id,
        "status": state.status,
        "input": state.input,
        "state": state.state,
        "result": state.result,
        "error": state.error,
        "bailed": state.bailed,
        "active_paths": _paths(row for row in leaves if row.status in ACTIVE_LEAF),
        "waiting_paths": _paths(row for row in leaves if row.status == ExecutionStatus.WAITING),
        "suspended_paths": _paths(row for row in leaves if row.status == ExecutionStatus.SUSPENDED),
        "suspensions": [
            {
                "path": row.path_key.split("."),
                "iteration": row.iteration,
                "item_index": row.item_index,
                "payload": row.suspend_payload,
                **state.open_suspensions.get(row.id, {}),
            }
            for row in leaves
            if row.status == ExecutionStatus.SUSPENDED
        ],
        "context": _context(rows),
        "forked_from": str(run.forked_from_id) if run.forked_from_id else None,
        "graph": run.graph,
    }


def _paths(rows: Any) -> list[list[str]]:
    return [row.path_key.split(".") for row in rows]


def _context(rows: list[ExecutionState]) -> dict[str, Any]:
    """Per path: the latest execution, plus every execution when there were several."""
    by_path: dict[str, list[ExecutionState]] = {}
    for row in rows:
        if row.path_key:
            by_path.setdefault(row.path_key, []).append(row)
    context: dict[str, Any] = {}
    for path_key, executions in by_path.items():
        latest = _entry(executions[-1])
        if len(executions) > 1:
            latest["executions"] = [_entry(row) for row in executions]
        context[path_key] = latest
    return context


def _entry(row: ExecutionState) -> dict[str, Any]:
    entry = asdict(row)
    entry["execution_id"] = entry.pop("id")
    entry.pop("path_key")
    return entry
