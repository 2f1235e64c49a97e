"""What a run is about and how its outcome reads, from its workflow's presentation hooks."""

from __future__ import annotations

from dataclasses import dataclass

from workflows import presentation
from workflows.models import RunStatus, WorkflowRun

TONES: dict[str, str] = {
    RunStatus.SUCCESS: "success",
    RunStatus.FAILED: "failed",
    RunStatus.CANCELED: "neutral",
    RunStatus.SUSPENDED: "waiting",
    RunStatus.RUNNING: "running",
}


@dataclass(frozen=True)
class Outcome:
    text: str
    tone: str
    detail: str = ""


def outcome(run: WorkflowRun) -> Outcome:
    """The status as people read it: "Waiting for review", or the workflow's own "Rejected"."""
    hook = presentation.get(run.workflow_id).result_label
    label = hook(run) if hook is not None and run.is_terminal else None
    if label is not None:
        return Outcome(text=label.text, tone=label.tone, detail=label.detail)
    if run.status == RunStatus.SUSPENDED:
        return Outcome(text="Waiting for review", tone="waiting")
    return Outcome(text=str(run.get_status_display()), tone=TONES.get(run.status, "neutral"))


def subject(run: WorkflowRun) -> str:
    hook = presentation.get(run.workflow_id).subject
    return hook(run) if hook is not None else ""


def download(run: WorkflowRun) -> presentation.Download | None:
    hook = presentation.get(run.workflow_id).download
    return hook(run) if hook is not None and run.status == RunStatus.SUCCESS else None
