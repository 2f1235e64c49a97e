"""The run API: the only way views, commands, admin actions and programs change runs.

Each function is one transaction under the run's lock; each refusal is a
:mod:`workflows.engine.errors` exception whose message says what to do.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from workflows.engine import arguments, limits, registry, schemas
from workflows.engine.builder import Workflow
from workflows.engine.errors import (
    AmbiguousResume,
    Conflict,
    DefinitionError,
    InvalidArgument,
    InvalidData,
    InvalidInput,
    InvalidResumeData,
    RunNotActive,
    SchemaMismatch,
    StaleSuspension,
    StepNotRetryable,
    StepNotSuspended,
    WorkflowError,
)
from workflows.engine.forking import fork
from workflows.engine.kinds import FUNCTION_KINDS
from workflows.engine.nodes import StepNode
from workflows.engine.requested import RequestedTransition
from workflows.engine.runs import get_run as get_run
from workflows.engine.snapshots import export_snapshot as export_snapshot
from workflows.engine.snapshots import snapshot as snapshot
from workflows.engine.transition import Transition, lock_run
from workflows.models import (
    EventType,
    ExecutionStatus,
    RunEvent,
    RunStatus,
    StepExecution,
    Suspension,
    SuspensionStatus,
    WorkflowRun,
)

PathLike = str | Sequence[str]


def as_path(path: PathLike) -> list[str]:
    """A path argument as ids, outermost first; refused (naming ``path``) when malformed."""
    return arguments.path(path)


def _workflow(workflow: Workflow | str) -> Workflow:
    """The registered definition: by id, or the committed object that is registered.

    An uncommitted ``Workflow`` is refused: its run would wait forever, since
    workers find definitions by id in the registry that ``commit()`` fills.
    """
    if isinstance(workflow, str):
        return registry.get(workflow)
    if not isinstance(workflow, Workflow):
        raise InvalidArgument("workflow", "must be a workflow id or a committed Workflow")
    if not workflow.committed:
        raise DefinitionError(
            f"workflow {workflow.id!r} is not committed; call .commit() on it (at import time, "
            "in a module listed in HANDOFF_WORKFLOW_MODULES) before starting runs",
            workflow=workflow.id,
        )
    if registry.get(workflow.id) is not workflow:
        raise DefinitionError(
            f"workflow {workflow.id!r} was replaced by a later commit under the same id; "
            "start it by id to run the definition the workers use",
            workflow=workflow.id,
        )
    return workflow


def list_runs(
    *, workflow_id: str | None = None, status: str | Sequence[str] | None = None
) -> QuerySet[WorkflowRun]:
    arguments.optional_text(workflow_id, "workflow_id", max_chars=120)
    if status is not None:
        status = arguments.choices(status, "status", RunStatus.values)
    runs = WorkflowRun.objects.all()
    if workflow_id:
        runs = runs.filter(workflow_id=workflow_id)
    if status:
        runs = runs.filter(status__in=[status] if isinstance(status, str) else list(status))
    return runs


def start_run(
    workflow: Workflow | str,
    input: Any = None,
    *,
    actor: Any = None,
    idempotency_key: str | None = None,
    state: dict[str, Any] | None = None,
) -> WorkflowRun:
    """Validate the input and start a run in the background; returns at once.

    With an ``idempotency_key``, starting the same workflow twice with the same
    key returns the first run instead of starting another.
    """
    definition = _workflow(workflow)
    _check_idempotency_key(idempotency_key)
    if state is not None:
        arguments.mapping(state, "state")
    stored_input = _checked_input(definition, input)
    if state is not None:
        limits.check(
            state,
            what=f"the initial state for workflow {definition.id!r}",
            error=InvalidInput,
            limit_name="HANDOFF_MAX_INPUT_BYTES",
        )
    if idempotency_key:
        existing = WorkflowRun.objects.filter(
            workflow_id=definition.id, idempotency_key=idempotency_key
        ).first()
        if existing is not None:
            return existing
    try:
        with transaction.atomic():
            transition = Transition.begin(
                definition,
                actor=_user(actor),
                input=stored_input,
                state=state or {},
                idempotency_key=idempotency_key,
            )
            transition.start_root()
            transition.close()
    except IntegrityError:
        if idempotency_key:
            return WorkflowRun.objects.get(
                workflow_id=definition.id, idempotency_key=idempotency_key
            )
        raise
    return transition.run


IDEMPOTENCY_KEY_MAX = WorkflowRun._meta.get_field("idempotency_key").max_length or 200


def _check_idempotency_key(key: Any) -> None:
    """The key must fit its column on every database (SQLite would store any length)."""
    if key is None:
        return
    if not isinstance(key, str):
        raise InvalidArgument("idempotency_key", "must be text (or None for no key)")
    if not key:
        raise InvalidArgument("idempotency_key", "must not be empty (pass None for no key)")
    if len(key) > IDEMPOTENCY_KEY_MAX:
        raise InvalidArgument(
            "idempotency_key",
            f"is {len(key):,} characters; at most {IDEMPOTENCY_KEY_MAX} are kept",
        )
    problem = limits.text_problem(key)
    if problem:
        raise InvalidArgument("idempotency_key", problem)


def _checked_input(definition: Workflow, input: Any) -> Any:
    """The run input as it will be stored: valid, storable on every database, within its limit."""
    what = f"input for workflow {definition.id!r}"
    limits.check_depth(input, what=what, error=InvalidInput)
    try:
        typed = schemas.validate(
            definition.input, input if input is not None else {}, what="the run input"
        )
    except SchemaMismatch as exc:
        raise InvalidInput(what, exc.errors) from None
    stored = schemas.dump(definition.input, typed)
    limits.check(stored, what=what, error=InvalidInput, limit_name="HANDOFF_MAX_INPUT_BYTES")
    return stored


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


def suspended_steps(run: WorkflowRun) -> list[StepExecution]:
    return list(run.executions.suspended().order_by("id"))


def _find_suspended(
    run: WorkflowRun,
    *,
    path: PathLike | None,
    label: str | None,
    foreach_index: int | None,
) -> StepExecution:
    waiting = suspended_steps(run)
    available = [row.path_key + _index_suffix(row) for row in waiting]
    if label:
        labelled = set(
            run.suspensions.open().filter(label=label).values_list("execution_id", flat=True)
        )
        waiting = [row for row in waiting if row.pk in labelled]
        if not waiting:
            raise StepNotSuspended(
                f"no step of this run is waiting under the label {label!r}",
                suspended=available,
            )
    inside = ""
    if path is not None:
        key = ".".join(as_path(path))
        exact = [row for row in waiting if row.path_key == key]
        # A nested workflow's id names the step waiting inside it, when only one does.
        within = [row for row in waiting if row.path_key.startswith(key + ".")]
        waiting = exact or within
        inside = "" if exact else key
    if foreach_index is not None:
        waiting = [row for row in waiting if row.item_index == foreach_index]
    if not waiting:
        what = ".".join(as_path(path)) if path is not None else "any step"
        raise StepNotSuspended(
            f"{what} is not waiting for input"
            + (f" (item {foreach_index})" if foreach_index is not None else "")
            + f"; steps waiting now: {', '.join(available) or 'none'}",
            suspended=available,
        )
    if len(waiting) > 1:
        candidates = [row.path_key + _index_suffix(row) for row in waiting]
        where = f" inside {inside!r}" if inside else ""
        raise AmbiguousResume(
            f"several steps are waiting{where} ({', '.join(candidates)}); say which one with "
            "its full path, a label or a foreach index",
            suspended=available,
            candidates=candidates,
        )
    return waiting[0]


def _selector(
    path: Any, label: Any, foreach_index: Any, suspension_id: Any
) -> tuple[list[str] | None, str | None, int | None, uuid.UUID | None]:
    """The ways to name a waiting step, checked: a path, a label, a foreach index, an id."""
    return (
        arguments.optional_path(path),
        arguments.optional_text(label, "label", max_chars=120),
        arguments.optional_whole_number(foreach_index, "foreach_index"),
        arguments.identifier(suspension_id, "suspension_id"),
    )


def _index_suffix(row: StepExecution) -> str:
    return f"[{row.item_index}]" if row.item_index is not None else ""


def resume_run(
    run_id: Any,
    resume_data: Any = None,
    *,
    path: PathLike | None = None,
    label: str | None = None,
    foreach_index: int | None = None,
    suspension_id: Any = None,
    fingerprint: str | None = None,
    actor: Any = None,
) -> Suspension:
    """Answer a waiting step. The step runs again with its original input and this data.

    Refused, with the run untouched: data that does not match the step's resume
    schema (lists the fields); a step that is not waiting; an answer naming a
    suspension that is no longer the open one (someone else answered first).
    """
    path, label, foreach_index, suspension_id = _selector(path, label, foreach_index, suspension_id)
    arguments.optional_text(fingerprint, "fingerprint", max_chars=64)
    with transaction.atomic():
        run = lock_run(get_run(run_id).pk)
        if run.is_terminal:
            raise RunNotActive(
                f"the run is {run.status}; nothing can be resumed", status=run.status
            )
        row = _find_suspended(run, path=path, label=label, foreach_index=foreach_index)
        suspension = row.suspensions.open().order_by("-created_at").first()
        if suspension is None:
            raise StepNotSuspended(f"{row.path_key} has no open question to answer")
        if suspension_id is not None and str(suspension_id) != str(suspension.id):
            raise StaleSuspension(
                f"that question for {row.path_key} was already answered or replaced; "
                "reload to see the current one",
                current_suspension_id=str(suspension.id),
            )
        if fingerprint is not None and fingerprint != suspension.fingerprint:
            raise StaleSuspension(
                f"{row.path_key} now shows different content than the one answered; "
                "reload to see the current one",
                current_suspension_id=str(suspension.id),
            )
        transition = RequestedTransition(run, actor=_user(actor))
        node = transition.node_of(row)
        assert isinstance(node, StepNode)
        limits.check_depth(
            resume_data, what=f"resume data for {row.path_key}", error=InvalidResumeData
        )
        try:
            typed = schemas.validate(
                node.step.resume, resume_data, what=f"resume data for {row.path_key}"
            )
        except SchemaMismatch as exc:
            raise InvalidResumeData(f"resume data for {row.path_key}", exc.errors) from None
        data = schemas.dump(node.step.resume, typed)
        limits.check(
            data,
            what=f"resume data for {row.path_key}",
            error=InvalidResumeData,
            limit_name="HANDOFF_MAX_RESUME_BYTES",
        )
        transition.resume(row, suspension, data)
        transition.close()
        return suspension


def cancel_run(run_id: Any, *, actor: Any = None, reason: str = "") -> WorkflowRun:
    """Stop a run: nothing pending starts, running steps see ``ctx.is_canceled()``."""
    arguments.text(reason, "reason")
    with transaction.atomic():
        run = lock_run(get_run(run_id).pk)
        if run.is_terminal:
            raise RunNotActive(
                f"the run already ended ({run.status}); there is nothing to cancel",
                status=run.status,
            )
        transition = RequestedTransition(run, actor=_user(actor))
        transition.cancel(reason)
        transition.close()
        return run


def retry_step(run_id: Any, path: PathLike | None = None, *, actor: Any = None) -> StepExecution:
    """Run a failed step again (and reopen the constructs its failure closed)."""
    path = arguments.optional_path(path)
    with transaction.atomic():
        run = lock_run(get_run(run_id).pk)
        failed = StepExecution.objects.filter(
            run=run, status=ExecutionStatus.FAILED, kind__in=FUNCTION_KINDS
        )
        if path is not None:
            failed = failed.filter(path_key=".".join(as_path(path)))
        row = failed.order_by("-id").first()
        if row is None:
            raise StepNotRetryable(
                "no failed step "
                + (f"at {'.'.join(as_path(path))} " if path else "")
                + "to retry in this run"
            )
        if run.status == RunStatus.CANCELED or (run.is_terminal and run.status != RunStatus.FAILED):
            raise RunNotActive(
                f"the run is {run.status}; only failed or active runs can be retried"
            )
        transition = RequestedTransition(run, actor=_user(actor))
        transition.retry(row)
        transition.close()
        return row


ENGINE_NAMESPACES = frozenset(value.split(".", 1)[0] for value in EventType.values)
APPLICATION_EVENT = re.compile(r"[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)+")
EVENT_TYPE_MAX = RunEvent._meta.get_field("type").max_length or 32


def check_application_event_type(type: str) -> None:
    """An application's event type is namespaced (``review.decided``) outside the engine's."""
    if not isinstance(type, str) or not APPLICATION_EVENT.fullmatch(type):
        raise WorkflowError(
            f"{type!r} is not an application event type: use a namespaced name such as "
            "'review.decided' (lowercase letters, digits and '_', parts joined by '.')"
        )
    if len(type) > EVENT_TYPE_MAX:
        raise WorkflowError(f"event type {type!r} is longer than {EVENT_TYPE_MAX} characters")
    namespace = type.split(".", 1)[0]
    if namespace in ENGINE_NAMESPACES:
        taken = ", ".join(f"'{name}.'" for name in sorted(ENGINE_NAMESPACES))
        raise WorkflowError(f"{type!r} is in the engine's namespace ({taken} are the engine's)")


def locked_run(run_id: Any) -> WorkflowRun:
    """Lock a run's row in the caller's transaction, as every transition does.

    An application that reads run state and then writes its own records (a
    draft revision, a decision) takes this lock first, so its check and write
    are ordered with the engine's changes and with each other.
    """
    if not transaction.get_connection().in_atomic_block:
        raise WorkflowError("locked_run() must be called inside transaction.atomic()")
    return lock_run(get_run(run_id).pk)


def open_suspension(
    run_id: Any,
    *,
    path: PathLike | None = None,
    label: str | None = None,
    foreach_index: int | None = None,
    suspension_id: Any = None,
) -> Suspension:
    """The open question a resume with these arguments would answer; refused as resume is."""
    path, label, foreach_index, suspension_id = _selector(path, label, foreach_index, suspension_id)
    run = get_run(run_id)
    if run.is_terminal:
        raise RunNotActive(f"the run is {run.status}; nothing can be resumed", status=run.status)
    if suspension_id is not None:
        found = run.suspensions.filter(pk=suspension_id).first()
        if found is None:
            raise StepNotSuspended(f"this run has no question {suspension_id!r}")
        if found.status != SuspensionStatus.OPEN:
            raise StaleSuspension(
                f"that question for {found.path_key} was already answered or replaced; "
                "reload to see the current one"
            )
        return found
    row = _find_suspended(run, path=path, label=label, foreach_index=foreach_index)
    suspension = row.suspensions.open().order_by("-created_at").first()
    if suspension is None:
        raise StepNotSuspended(f"{row.path_key} has no open question to answer")
    return suspension


def record_event(
    run_id: Any,
    type: str,
    *,
    data: dict[str, Any],
    path: PathLike | None = None,
    actor: Any = None,
) -> RunEvent:
    """Append an application's own event (a decision, an edit) to a run's log, in order.

    Written under the run lock like every engine event, so watchers get it in id
    order; called inside the caller's transaction, it commits with the change it
    describes (e.g. the resume a decision caused) or not at all. Types are
    namespaced and may not use the engine's namespaces.
    """
    check_application_event_type(type)
    arguments.mapping(data, "data")
    path = arguments.optional_path(path)
    limits.check(
        data,
        what=f"the data of a {type} event",
        error=InvalidData,
        limit_name="HANDOFF_MAX_EVENT_BYTES",
    )
    with transaction.atomic():
        run = lock_run(get_run(run_id).pk)
        transition = Transition(run, actor=_user(actor))
        key = ".".join(as_path(path)) if path is not None else ""
        transition.event(type, path_key=key, data=data)
        transition.close(status_may_change=False)
        return transition.stored_event()


def events(run_id: Any, *, after: int = 0, limit: int = 500) -> list[RunEvent]:
    """At most ``limit`` (1 or more) events with ids above ``after``, oldest first."""
    arguments.whole_number(after, "after")
    arguments.whole_number(limit, "limit", minimum=1)
    return list(RunEvent.objects.for_run(run_id).after(after).select_related("actor")[:limit])


def watch(
    run_id: Any,
    *,
    after: int = 0,
    poll: float = 0.2,
    timeout: float | None = None,
    until: str | Sequence[str] | None = None,
) -> Iterator[RunEvent]:
    """Yield every event of a run after ``after``, live, until the run reaches one of
    ``until`` (default: it ended) or ``timeout`` passes.

    ``until=("suspended", "success", "failed", "canceled")`` also stops when the
    run waits for a person, as ``wait`` does by default; every event up to that
    point is yielded first. The arguments are checked here, when called, not when
    the first event is asked for.
    """
    run = get_run(run_id)
    arguments.whole_number(after, "after")
    arguments.seconds(poll, "poll")
    arguments.optional_seconds(timeout, "timeout")
    wanted = (
        frozenset(arguments.choices(until, "until", RunStatus.values))
        if until is not None
        else RunStatus.terminal()
    )
    return _watch(run.pk, after=after, poll=poll, timeout=timeout, until=wanted)


def _watch(
    run_id: Any, *, after: int, poll: float, timeout: float | None, until: frozenset[str]
) -> Iterator[RunEvent]:
    deadline = None if timeout is None else time.monotonic() + timeout
    cursor = after
    while True:
        batch = events(run_id, after=cursor)
        for event in batch:
            cursor = event.id
            yield event
        if not batch:
            status = WorkflowRun.objects.filter(pk=run_id).values_list("status", flat=True).first()
            if status is None or status in until:
                if not events(run_id, after=cursor, limit=1):
                    return
                continue
            if deadline is not None and time.monotonic() >= deadline:
                return
            time.sleep(poll)


def wait(run_id: Any, *, timeout: float = 30.0, until: Sequence[str] | None = None) -> WorkflowRun:
    """Block until the run reaches one of ``until`` (default: suspended or terminal)."""
    arguments.seconds(timeout, "timeout")
    if until is not None:
        until = arguments.choices(until, "until", RunStatus.values)
    wanted = set(until or (RunStatus.SUSPENDED, *RunStatus.terminal()))
    deadline = time.monotonic() + timeout
    while True:
        run = get_run(run_id)
        if run.status in wanted:
            return run
        if time.monotonic() >= deadline:
            raise TimeoutError(f"run {run_id} is still {run.status} after {timeout}s")
        time.sleep(0.05)


def fork_run(
    run_id: Any,
    path: PathLike,
    *,
    input: Any = None,
    resume_data: Any = None,
    actor: Any = None,
) -> WorkflowRun:
    """Re-run a run from one step as a new run; the original's history is untouched.

    Steps before ``path`` are copied with their outputs; the step at ``path``
    starts again with ``input`` (default: the input it had) and, when given,
    ``resume_data`` as if a person had just answered it.
    """
    parts = as_path(path)
    original = get_run(run_id)
    if original.status not in RunStatus.terminal() and original.status != RunStatus.SUSPENDED:
        raise Conflict(
            f"the run is {original.status}; fork a finished, failed or suspended run",
            status=original.status,
        )
    return fork(original, parts, input=input, resume_data=resume_data, actor=_user(actor))
