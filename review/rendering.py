"""The HTML and JSON the live streams send, built from the same partials and reads as the pages.

Synchronous (templates and the ORM); consumers call these through
``database_sync_to_async``. Each HTML message is a set of top-level elements with
the ids the page uses, which the htmx websocket extension swaps out of band.
"""

from __future__ import annotations

import json
from typing import Any

from django.template.loader import render_to_string

from review.selectors import (
    executions_of,
    pipeline,
    run_page,
    run_progress,
    timeline_entry,
)
from workflows.models import StepExecution, WorkflowRun

Signatures = dict[int, int]


def signature(row: StepExecution) -> int:
    """Changes whenever anything a step card shows changes."""
    shown = (
        row.status,
        row.attempts,
        row.started_at,
        row.finished_at,
        row.wake_at,
        row.resumed_by_id,
        json.dumps(row.error, sort_keys=True, default=str),
        json.dumps(row.suspend_payload, sort_keys=True, default=str),
        json.dumps(row.output, sort_keys=True, default=str),
    )
    return hash(repr(shown))


def load_run(run_id: str) -> WorkflowRun:
    return WorkflowRun.objects.select_related("created_by").get(pk=run_id)


def run_header_html(run: WorkflowRun) -> str:
    return render_to_string("review/_run_header.html", {"run": run, "progress": run_progress(run)})


def run_state_html(run_id: str) -> tuple[str, int, Signatures]:
    """Header, pipeline and timeline as they are now; the last event they include."""
    run = load_run(run_id)
    page = run_page(run)
    html = (
        run_header_html(run)
        + render_to_string("review/_pipeline.html", {"run": run, "nodes": page.nodes})
        + render_to_string("review/_timeline.html", {"run": run, "events": page.events})
    )
    return html, run.last_event_id, {row.pk: signature(row) for row in page.executions}


def run_update_html(
    run_id: str, events: list[dict[str, Any]], shown: Signatures
) -> tuple[str, Signatures]:
    """What changed since ``shown``: the header, changed cards (or the whole pipeline
    when executions were added), and the new events appended to the timeline."""
    run = load_run(run_id)
    executions = executions_of(run)
    current = {row.pk: signature(row) for row in executions}
    parts = [run_header_html(run)]
    if set(current) != set(shown):
        nodes = pipeline(run, executions)
        parts.append(render_to_string("review/_pipeline.html", {"run": run, "nodes": nodes}))
    else:
        for row in executions:
            if current[row.pk] != shown[row.pk]:
                parts.append(render_to_string("review/_step_card.html", {"execution": row}))
    if events:
        items = "".join(
            render_to_string("review/_event_item.html", {"event": timeline_entry(event)})
            for event in events
        )
        parts.append(f'<div hx-swap-oob="beforeend:#run-{run.pk}-events">{items}</div>')
    return "".join(parts), current


def dashboard_rows_html(runs: list[WorkflowRun]) -> str:
    return render_to_string("review/_run_rows.html", {"runs": runs})


def dashboard_row_html(run: WorkflowRun, *, new: bool) -> str:
    row = render_to_string("review/_run_row.html", {"run": run})
    if new:
        return f'<div hx-swap-oob="afterbegin:#run-rows">{row}</div>'
    return row


def run_summary(run: WorkflowRun) -> dict[str, Any]:
    """A dashboard row as JSON."""
    progress = run_progress(run)
    return {
        "id": str(run.pk),
        "workflow_id": run.workflow_id,
        "status": run.status,
        "last_event_id": run.last_event_id,
        "steps_completed": run.steps_completed,
        "progress": {
            "done": progress.done,
            "planned": progress.planned,
            "percent": progress.percent,
        },
        "created_by": run.created_by.get_username() if run.created_by else None,
        "created_at": run.created_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
    }
