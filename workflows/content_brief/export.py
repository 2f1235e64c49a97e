"""The approved brief of a run, as a Markdown document; one function for every download path."""

from __future__ import annotations

from typing import Any

from workflows.content_brief import WORKFLOW_ID
from workflows.engine.errors import Conflict, NotFound
from workflows.models import RunStatus, WorkflowRun


class BriefNotReady(Conflict):
    code = "brief_not_ready"


def brief_markdown(run: WorkflowRun) -> str:
    """The approved brief's Markdown; refuses runs that are not approved content briefs."""
    if run.workflow_id != WORKFLOW_ID:
        raise NotFound(f"run {run.short_id} is a {run.workflow_id!r} run, not a content brief")
    result: dict[str, Any] = run.result or {}
    if run.status != RunStatus.SUCCESS:
        raise BriefNotReady(
            f"the brief of run {run.short_id} is not approved yet (the run is {run.status})"
        )
    if result.get("status") == "rejected":
        raise BriefNotReady(
            f"the brief of run {run.short_id} was rejected in round {result.get('round')}: "
            f"{result.get('reason')}"
        )
    return str(result["markdown"])


def brief_filename(run: WorkflowRun) -> str:
    keyword = str((run.result or {}).get("target_keyword") or "brief")
    slug = "-".join("".join(c if c.isalnum() else " " for c in keyword.lower()).split())
    return f"brief-{slug or 'content'}-{run.short_id}.md"
