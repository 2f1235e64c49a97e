"""A successful step recorded in one statement: no lock taken first, no transaction of its own.

A worker that has just written a run (the claim, or the step before, inline)
holds the run's row as it left it. Unless another transition of the run has
committed since, the step's transition follows from that row and the claim
alone: the completion, the next step of a chain (claimed inline), the events
and the run row. So the worker works the transition out first, then sends all
of it as one statement that writes only if the run's row is still the version
the worker wrote and the claim is still its own (``rows.write_step``). On
PostgreSQL a statement outside a transaction commits on its own: one round trip
where the locked path takes four (BEGIN, two statements, COMMIT).

Whenever that cannot apply, nothing is written and every object of the claim is
put back as it was, and :func:`workflows.engine.entry.commit` records the step
under the run lock as before:

- the run's row changed since (a cancel, a lease expiry, a parallel branch, a
  step's progress event) or the claim was lost: the statement writes nothing;
- the transition has to read or write something else first (the step that ends
  a nested workflow or the run, a sleep that starts a timer, a row not held in
  memory): its first statement is refused before it is sent;
- no version is known: SQLite, or a claim whose write ran as several statements.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model
from django.utils import timezone

from workflows.engine import rows
from workflows.engine.claims import WorkerTransition
from workflows.engine.kinds import FUNCTION_KINDS
from workflows.engine.outcomes import Claim, Completed
from workflows.engine.transition import SUCCEEDED_FIELDS, mark_succeeded


class _Refused(Exception):
    """The transition tried to run a statement of its own: it needs the locked path."""


def commit(
    claimed: Claim, succeeded: Completed, *, continue_inline: bool
) -> tuple[bool, Claim | None]:
    """Record a successful step in one statement if nothing changed the run since this
    worker wrote it: whether it did, and the next execution to run inline."""
    version = claimed.run_version
    if version is None or claimed.execution.kind not in FUNCTION_KINDS or claimed.run.is_terminal:
        return False, None
    kept = _Kept(claimed)
    written = False
    try:
        worked = _worked_out(claimed, succeeded, continue_inline=continue_inline)
        if worked is not None and worked[1].fits_one_statement():
            written = rows.write_step(
                claimed.execution, claimed.token, SUCCEEDED_FIELDS, version, worked[1]
            )
    finally:
        if not written:
            kept.restore()
    if not written or worked is None:
        return False, None
    transition, write = worked
    return True, transition.written(write)


def _worked_out(
    claimed: Claim, succeeded: Completed, *, continue_inline: bool
) -> tuple[WorkerTransition, rows.RunWrite] | None:
    """The step's transition from the claim's objects, as ``entry._commit`` works it out
    under the lock, with the row's completion not yet written; None if it needed a
    statement of its own (or failed: the locked path does it again, and raises there)."""
    try:
        with _no_statements():
            row = claimed.execution
            now = timezone.now()
            mark_succeeded(row, succeeded.value, now)
            transition = WorkerTransition(claimed.run, now=now)  # the row's finished_at
            transition.remember(row)
            if claimed.parent is not None:
                transition.remember(claimed.parent)
            transition.succeeded(row, succeeded)
            if continue_inline:
                transition.claim_next_inline()
            return transition, transition.prepare_close()
    except Exception:
        return None


@contextmanager
def _no_statements() -> Iterator[None]:
    """Refuse any statement before it reaches the database.

    Django marks an enclosing ``atomic`` block for rollback when a save or an
    update raises, and logs a statement its wrappers refused as if it had run
    (``connection.queries``). A refused statement was never sent, so the mark
    and the log entry are taken back.
    """

    def refuse(execute: Callable[..., Any], sql: str, *args: Any) -> Any:
        raise _Refused(sql)

    db = connections[DEFAULT_DB_ALIAS]
    broken = db.needs_rollback
    try:
        with db.execute_wrapper(refuse):
            yield
    except _Refused:
        if db.queries_logged and db.queries_log:
            db.queries_log.pop()
        db.needs_rollback = broken
        raise
    except BaseException:
        db.needs_rollback = broken
        raise


class _Kept:
    """The claim's model objects as they were, to put back if the step is not written.

    Every change a transition makes to them sets an attribute (or the row's
    state), so a copy of each one's attributes and state is enough.
    """

    def __init__(self, claimed: Claim) -> None:
        objects: list[Model] = [claimed.run, claimed.execution]
        if claimed.parent is not None:
            objects.append(claimed.parent)
        self.kept = [(obj, dict(obj.__dict__), copy.copy(obj._state)) for obj in objects]

    def restore(self) -> None:
        for obj, attributes, state in self.kept:
            obj.__dict__.clear()
            obj.__dict__.update(attributes)
            obj._state = state
