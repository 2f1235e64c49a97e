"""Handoff's workflow engine: define typed workflows, run them durably, watch them live.

Definitions import without Django being ready; the run API (``start_run``,
``resume_run``, ...) is loaded on first use, once the app registry is.
"""

from __future__ import annotations

from typing import Any

from workflows.engine.builder import Workflow
from workflows.engine.context import Check, StepContext
from workflows.engine.nodes import Backoff, Step, step

_API = {
    "start_run",
    "get_run",
    "list_runs",
    "resume_run",
    "cancel_run",
    "retry_step",
    "fork_run",
    "events",
    "watch",
    "wait",
}
_SNAPSHOT = {"snapshot", "export_snapshot"}


def __getattr__(name: str) -> Any:
    if name in _API:
        from workflows.engine import api

        return getattr(api, name)
    if name in _SNAPSHOT:
        from workflows.engine import snapshots

        return getattr(snapshots, name)
    raise AttributeError(name)


__all__ = [
    "Backoff",
    "Check",
    "Step",
    "StepContext",
    "Workflow",
    "step",
    *sorted(_API),
    *sorted(_SNAPSHOT),
]
