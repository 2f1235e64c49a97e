"""Committed workflows, found by id.

``Workflow.commit()`` keeps each workflow in ``builder.COMMITTED``; a later
commit under the same id replaces the earlier one (a deploy or a code reload),
which is why runs record the version they started on.
"""

from __future__ import annotations

from importlib import import_module

from workflows.engine.builder import COMMITTED, Workflow
from workflows.engine.errors import WorkflowNotFound


def get(workflow_id: str) -> Workflow:
    try:
        return COMMITTED[workflow_id]
    except KeyError:
        known = ", ".join(sorted(COMMITTED)) or "none"
        raise WorkflowNotFound(
            f"no workflow with id {workflow_id!r} is registered (registered: {known})",
            workflow=workflow_id,
        ) from None


def is_registered(workflow_id: str) -> bool:
    return workflow_id in COMMITTED


def load_modules(module_names: list[str]) -> None:
    """Import the modules that define workflows (``HANDOFF_WORKFLOW_MODULES``)."""
    for name in module_names:
        import_module(name)
