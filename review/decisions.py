"""What reviewers and editors do to a run, recorded in the run's log as the audit trail.

A decision is a resume plus a ``decision.recorded`` event, in one transaction:
both happen or neither does. An edit is a ``draft.edited`` event holding the
text before and after and their diff, so "what people changed" is kept apart
from what the AI wrote. The review pages and the HTTP API call these; nothing
else writes review events.
"""

from __future__ import annotations

import difflib
from typing import Any

from django.db import transaction

from workflows.engine import api
from workflows.models import EventType, RunEvent, Suspension


def record_decision(
    *,
    run_id: Any,
    path: str,
    data: dict[str, Any],
    actor: Any,
    suspension_id: Any = None,
    note: str = "",
) -> Suspension:
    """Answer a waiting step and record who decided what, and why, in the same commit."""
    with transaction.atomic():
        suspension = api.resume_run(
            run_id, data, path=path, actor=actor, suspension_id=suspension_id
        )
        api.record_event(
            run_id,
            EventType.DECISION_RECORDED,
            path=path,
            actor=actor,
            data={
                "suspension_id": str(suspension.id),
                "decision": suspension.resume_data,
                "note": note,
            },
        )
    return suspension


def record_draft_edit(
    *, run_id: Any, path: str, before: str, after: str, actor: Any, note: str = ""
) -> RunEvent | None:
    """Keep an edit to a draft: both texts and a unified diff. No change, no event."""
    if before == after:
        return None
    diff = "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True),
            after.splitlines(keepends=True),
            fromfile="before",
            tofile="after",
        )
    )
    return api.record_event(
        run_id,
        EventType.DRAFT_EDITED,
        path=path,
        actor=actor,
        data={"before": before, "after": after, "diff": diff, "note": note},
    )
