"""Finding a run by id, as the run API and the snapshot both need to."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

from workflows.engine.errors import RunNotFound
from workflows.models import WorkflowRun


def get_run(run_id: Any) -> WorkflowRun:
    """The run with this id; ``RunNotFound`` for a malformed id as for a missing one."""
    try:
        return WorkflowRun.objects.get(pk=run_id)
    except (WorkflowRun.DoesNotExist, ValidationError, ValueError, TypeError):
        raise RunNotFound(f"no run with id {run_id!r}", run_id=str(run_id)) from None
