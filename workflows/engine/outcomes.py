"""What a worker reports about an execution, and the claim it holds while running it.

The worker runs user code outside any transaction and hands one of these
outcomes to :func:`workflows.engine.entry.commit`; nothing here touches the
database, so the worker and the transition code can share them freely.
"""

from __future__ import annotations

import traceback
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from workflows.engine import limits
from workflows.engine.errors import WorkflowError
from workflows.engine.rows import RunVersion
from workflows.models import StepExecution, WorkflowRun


@dataclass
class Completed:
    value: Any
    state_patch: dict[str, Any] = field(default_factory=dict)


@dataclass
class Suspended:
    payload: Any
    label: str = ""
    state_patch: dict[str, Any] = field(default_factory=dict)


@dataclass
class Bailed:
    result: Any
    state_patch: dict[str, Any] = field(default_factory=dict)


@dataclass
class Failed:
    error: dict[str, Any]
    retryable: bool = True


@dataclass
class CanceledOutcome:
    pass


Outcome = Completed | Suspended | Bailed | Failed | CanceledOutcome


@dataclass
class Claim:
    """An execution this worker now owns, with what it needs to run it outside a transaction.

    ``parent`` is the enclosing sequence's row when this worker just wrote it, so
    the next commit need not read it again (only a sequence row is reused: its
    single active child is the one this worker holds).
    """

    execution: StepExecution
    run: WorkflowRun
    token: uuid.UUID
    parent: StepExecution | None = None
    deadline: datetime | None = None  # the attempt's limit: its heartbeat never goes past it
    run_version: RunVersion | None = None  # ``run`` as this worker wrote it (PostgreSQL only)


class StaleClaim(Exception):
    """The claim was lost (lease expired, run ended) before the result could be recorded."""


def error_from(exc: BaseException) -> dict[str, Any]:
    """A failure as stored; storable whatever the exception quotes (see limits.sanitized)."""
    data: dict[str, Any] = {"type": type(exc).__name__, "message": str(exc) or type(exc).__name__}
    if isinstance(exc, WorkflowError):
        data.update({k: v for k, v in exc.details.items() if k != "message"})
    else:
        data["traceback"] = "".join(traceback.format_exception(exc))[-4000:]
    return cast(dict[str, Any], limits.sanitized(data))


def public_error(error: dict[str, Any]) -> dict[str, Any]:
    """An error as shown in events and snapshots: no traceback."""
    return {k: v for k, v in error.items() if k != "traceback"} or {"message": "failed"}
