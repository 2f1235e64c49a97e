"""The HTML and JSON the live streams send, built from the same partials and reads as the pages.

Synchronous (templates and the ORM); consumers call these through
``database_sync_to_async``. Each HTML message is a set of top-level elements with
the ids the page uses, which the htmx websocket extension swaps out of band.
"""

from __future__ import annotations

import json
from typing import Any

from django.template.loader import render_to_string
from django.utils.html import escape

from review import drafts, queue, roles
from review.live.messages import chunks, message_bytes
from review.review_items import review_items
from review.selectors import (
    executions_of,
    is_token,
    pipeline,
    run_page,
    run_progress,
    timeline_entry,
    with_progress,
)
from workflows.models import StepExecution, Suspension, WorkflowRun

# Events after which the questions a viewer may answer can have changed.
PANEL_EVENTS = frozenset(
    {
        "step.suspended",
        "step.resumed",
        "review.decided",
        "run.completed",
        "run.failed",
        "run.canceled",
        "run.retried",
        "review.claimed",
        "review.released",
        "review.taken_over",
        "review.overdue",
        "review.reassigned",
    }
)
DRAFT_EDITED = "review.draft_edited"
RUN_ENDED = frozenset({"run.completed", "run.failed", "run.canceled"})

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
    return with_progress([WorkflowRun.objects.select_related("created_by").get(pk=run_id)])[0]


def run_header_html(run: WorkflowRun) -> str:
    return render_to_string("review/_run_header.html", {"run": run, "progress": run_progress(run)})


def review_panel_html(run: WorkflowRun, user: Any) -> str:
    """The questions waiting on people, with the controls this viewer may use."""
    return render_to_string(
        "review/_review_panel.html", {"run": run, "items": review_items(run, user)}
    )


def run_state_parts(run_id: str, user: Any) -> tuple[list[str], int, Signatures]:
    """Header, review panel, pipeline and timeline as they are now; the last event included.

    Each part is one top-level element with its id, so the stream can send them
    in several messages, or have one fetch itself over HTTP (review/live/messages.py).
    """
    run = load_run(run_id)
    page = run_page(run)
    parts = [
        run_header_html(run),
        review_panel_html(run, user),
        render_to_string("review/_pipeline.html", {"run": run, "nodes": page.nodes}),
        render_to_string("review/_timeline.html", {"run": run, "events": page.events}),
    ]
    return parts, run.last_event_id, {row.pk: signature(row) for row in page.executions}


def run_state_html(run_id: str, user: Any) -> tuple[str, int, Signatures]:
    parts, last, shown = run_state_parts(run_id, user)
    return "".join(parts), last, shown


def viewer_update_parts(run_id: str, events: list[dict[str, Any]], user: Any) -> list[str]:
    """The part of an update that depends on who looks: the review panel or a draft.

    A new or answered question replaces the panel. A saved edit replaces only
    that draft's view, so a decision form keeps the revision its viewer saw
    (deciding on it is then refused as stale, with the new text).
    """
    types = {event["type"] for event in events}
    if types & PANEL_EVENTS:
        return [review_panel_html(load_run(run_id), user), queue_badge_html(user)]
    if DRAFT_EDITED not in types:
        return []
    edited = {
        (event.get("data") or {}).get("suspension_id")
        for event in events
        if event["type"] == DRAFT_EDITED
    }
    run = WorkflowRun.objects.get(pk=run_id)
    parts: list[str] = []
    for suspension in Suspension.objects.filter(run=run, pk__in=[s for s in edited if s]):
        draft = drafts.draft_of(suspension, run.workflow_id)
        if draft is not None:
            parts.append(
                render_to_string(
                    "review/_draft_view.html",
                    {"draft": draft, "can_edit": roles.can(user, roles.EDIT_DRAFT), "oob": False},
                )
            )
    return parts


def queue_badge_html(user: Any) -> str:
    """The navigation's count of the viewer's open review items, swapped by its id."""
    return f'<span class="count-badge" id="queue-count">{queue.open_count(user)}</span>'


def queue_html(user: Any, show: str, number: int) -> str:
    """The queue page's list as this viewer sees it, and the navigation's count."""
    items = render_to_string("review/_queue_items.html", queue.view_context(user, show, number))
    return items + queue_badge_html(user)


def run_update_parts(
    run_id: str, events: list[dict[str, Any]], shown: Signatures
) -> tuple[list[str], Signatures]:
    """What changed since ``shown``: the header, changed cards (or the whole pipeline
    when executions were added), and the new events appended to the timeline.

    Long timelines and long streamed text come in several parts, so no part needs
    more than one live message (review/live/messages.py).
    """
    run = load_run(run_id)
    executions = executions_of(run)
    current = {row.pk: signature(row) for row in executions}
    parts = [run_header_html(run)]
    redrawn: set[int] | None
    ended = any(event["type"] in RUN_ENDED for event in events)
    if set(current) != set(shown) or ended:  # an ended run drops its not-started steps
        nodes = pipeline(run, executions)
        parts.append(render_to_string("review/_pipeline.html", {"run": run, "nodes": nodes}))
        redrawn = None  # every card, streams included
    else:
        redrawn = set()
        for row in executions:
            if current[row.pk] != shown[row.pk]:
                parts.append(render_to_string("review/_step_card.html", {"execution": row}))
                redrawn.add(row.pk)
    if redrawn is not None:
        parts.extend(_streamed_tokens(events, redrawn))
    shown_events = [timeline_entry(event) for event in events if not is_token(event)]
    if shown_events:
        items = [
            render_to_string("review/_event_item.html", {"event": event})
            for event in reversed(shown_events)
        ]
        # Oldest group first: each is prepended, so the newest ends up on top.
        for group in reversed(chunks(items, message_bytes() // 2)):
            parts.append(
                f'<div hx-swap-oob="afterbegin:#run-{run.pk}-events">{"".join(group)}</div>'
            )
        decided = [event for event in shown_events if event["type"] == "review.decided"]
        if decided:
            parts.append(
                f'<div class="visually-hidden" id="run-{run.pk}-announce" aria-live="polite" '
                f'role="status">{escape(decided[-1]["sentence"])}</div>'
            )
    return parts, current


def run_update_html(
    run_id: str, events: list[dict[str, Any]], shown: Signatures
) -> tuple[str, Signatures]:
    parts, current = run_update_parts(run_id, events, shown)
    return "".join(parts), current


def _streamed_tokens(events: list[dict[str, Any]], redrawn: set[int]) -> list[str]:
    """New tokens appended to their step's stream; a redrawn card has them already."""
    texts: dict[int, list[str]] = {}
    for event in events:
        execution_id = event.get("execution_id")
        if is_token(event) and execution_id is not None and execution_id not in redrawn:
            text = ((event.get("data") or {}).get("data") or {}).get("text", "")
            texts.setdefault(execution_id, []).append(str(text))
    # An escaped character takes at most 6 bytes (&quot;), so this many always fit.
    size = max(1, message_bytes() // 8)
    return [
        f'<div hx-swap-oob="beforeend:#stream-{execution_id}">{escape(text[i : i + size])}</div>'
        for execution_id, pieces in texts.items()
        for text in ["".join(pieces)]
        for i in range(0, len(text), size)
    ]


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
