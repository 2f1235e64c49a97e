"""Fork: a new run that starts from one step of an earlier run, linked to it.

The steps before the fork point are copied with their outputs (they do not
run again); the step at the fork point starts with new or original input, and
optionally with resume data as if a person had just answered it. The original
run is never modified, so a past review can be reopened without touching history.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db import transaction

from workflows.engine import limits, registry, schemas
from workflows.engine.definition import StepNode, Workflow, WorkflowNode
from workflows.engine.errors import (
    Conflict,
    DefinitionChanged,
    InvalidInput,
    InvalidResumeData,
    SchemaMismatch,
    WorkflowError,
)
from workflows.engine.runtime import Transition
from workflows.models import EventType, ExecutionStatus, RunStatus, StepExecution, WorkflowRun


class ForkRefused(Conflict):
    code = "fork_refused"


class UnknownForkPath(WorkflowError):
    code = "unknown_step"


def fork(
    original: WorkflowRun,
    path: list[str],
    *,
    input: Any,
    resume_data: Any,
    actor: Any,
) -> WorkflowRun:
    workflow = registry.get(original.workflow_id)
    levels = _levels(workflow, path)
    old_rows = list(StepExecution.objects.filter(run=original).order_by("id"))
    children: dict[int | None, list[StepExecution]] = defaultdict(list)
    for row in old_rows:
        children[row.parent_id].append(row)
    with transaction.atomic():
        run = WorkflowRun.objects.create(
            workflow_id=workflow.id,
            definition_version=workflow.version,
            graph=workflow.graph(),
            status=RunStatus.RUNNING,
            input=original.input,
            state=original.state,
            forked_from=original,
            forked_at_path=".".join(path),
            created_by=actor,
        )
        transition = Transition(run, workflow, actor=actor)
        transition.event(
            EventType.RUN_STARTED,
            data={
                "input": run.input,
                "definition_version": run.definition_version,
                "forked_from": str(original.pk),
                "fork_path": path,
            },
        )
        old_parent = children[None][0]
        new_parent = _copy_row(transition, old_parent, parent=None, status=ExecutionStatus.RUNNING)
        for depth, (level, node_id) in enumerate(levels):
            for earlier in level.nodes[: level.position(node_id)]:
                done = _latest(children[old_parent.pk], earlier.id, ExecutionStatus.SUCCESS)
                if done is None:
                    raise ForkRefused(
                        f"{earlier.id!r} did not complete in the original run, so the fork "
                        f"cannot start at {'.'.join(path)!r}; fork from an earlier step"
                    )
                _copy_subtree(transition, done, new_parent, children)
            old_target = _latest(children[old_parent.pk], node_id, None)
            if depth < len(levels) - 1:
                if old_target is None:
                    raise ForkRefused(f"the original run never reached {node_id!r}")
                new_parent = _copy_row(
                    transition, old_target, parent=new_parent, status=ExecutionStatus.RUNNING
                )
                old_parent = old_target
                continue
            _start_target(transition, level, node_id, new_parent, old_target, input, resume_data)
        transition.close()
    return run


def _levels(workflow: Workflow, path: list[str]) -> list[tuple[Workflow, str]]:
    """The workflow each path part sits in; every part must be a step of a sequence."""
    if not path:
        raise ForkRefused("say which step the fork starts at")
    levels: list[tuple[Workflow, str]] = []
    current = workflow
    for depth, part in enumerate(path):
        try:
            node = current.node(part)
        except DefinitionChanged:
            known = ", ".join(node.id for node in current.nodes)
            raise UnknownForkPath(
                f"{'.'.join(path[: depth + 1])!r} is not a step of {current.id!r} as deployed "
                f"now (its steps: {known})"
            ) from None
        if current.position(part) is None:
            raise ForkRefused(
                f"{'.'.join(path[: depth + 1])!r} sits inside a parallel, branch, loop or "
                "foreach; fork from that construct instead"
            )
        levels.append((current, part))
        if depth < len(path) - 1:
            if not isinstance(node, WorkflowNode):
                raise ForkRefused(f"{part!r} is not a nested workflow")
            current = node.workflow
    return levels


def _latest(rows: list[StepExecution], step_id: str, status: str | None) -> StepExecution | None:
    found = [r for r in rows if r.step_id == step_id and (status is None or r.status == status)]
    return found[-1] if found else None


def _copy_row(
    transition: Transition, old: StepExecution, *, parent: StepExecution | None, status: str
) -> StepExecution:
    new = StepExecution.objects.create(
        run=transition.run,
        parent=parent,
        kind=old.kind,
        step_id=old.step_id,
        path_key=old.path_key,
        iteration=old.iteration,
        item_index=old.item_index,
        status=status,
        input=old.input,
        output=old.output if status == ExecutionStatus.SUCCESS else None,
        bookkeeping=old.bookkeeping,
        attempts=old.attempts if status == ExecutionStatus.SUCCESS else 0,
        started_at=old.started_at if status == ExecutionStatus.SUCCESS else transition.now,
        finished_at=old.finished_at if status == ExecutionStatus.SUCCESS else None,
        resume_data=old.resume_data if status == ExecutionStatus.SUCCESS else None,
    )
    transition.remember(new)
    data = {"kind": new.kind, "iteration": new.iteration, "item_index": new.item_index}
    if status == ExecutionStatus.SUCCESS:
        transition.event(
            EventType.STEP_COMPLETED,
            execution=new,
            data={**data, "output": new.output, "copied_from": old.pk},
        )
    else:
        transition.event(EventType.STEP_STARTED, execution=new, data={**data, "input": new.input})
    return new


def _copy_subtree(
    transition: Transition,
    old: StepExecution,
    new_parent: StepExecution,
    children: dict[int | None, list[StepExecution]],
) -> None:
    new = _copy_row(transition, old, parent=new_parent, status=ExecutionStatus.SUCCESS)
    if new.kind == "step":
        transition.run.steps_completed += 1
    for child in children[old.pk]:
        if child.status == ExecutionStatus.SUCCESS:
            _copy_subtree(transition, child, new, children)


def _start_target(
    transition: Transition,
    level: Workflow,
    node_id: str,
    parent: StepExecution,
    old_target: StepExecution | None,
    input: Any,
    resume_data: Any,
) -> None:
    node = level.node(node_id)
    if input is None:
        if old_target is None:
            raise ForkRefused(f"the original run never reached {node_id!r}; give the input to use")
        input = old_target.input
    else:
        limits.check_depth(input, what=f"input for {node_id}", error=InvalidInput)
        try:
            input = schemas.dump(
                node.input_schema,
                schemas.validate(node.input_schema, input, what=f"input for {node_id}"),
            )
        except SchemaMismatch as exc:
            raise InvalidInput(f"input for {node_id}", exc.errors) from None
        limits.check(
            input,
            what=f"input for {node_id}",
            error=InvalidInput,
            limit_name="HANDOFF_MAX_INPUT_BYTES",
        )
    data = None
    if resume_data is not None:
        if not isinstance(node, StepNode) or node.step.resume is None:
            raise ForkRefused(f"{node_id!r} takes no resume data")
        limits.check_depth(resume_data, what=f"resume data for {node_id}", error=InvalidResumeData)
        try:
            data = schemas.dump(
                node.step.resume,
                schemas.validate(node.step.resume, resume_data, what=f"resume data for {node_id}"),
            )
        except SchemaMismatch as exc:
            raise InvalidResumeData(f"resume data for {node_id}", exc.errors) from None
        limits.check(
            data,
            what=f"resume data for {node_id}",
            error=InvalidResumeData,
            limit_name="HANDOFF_MAX_RESUME_BYTES",
        )
    row = transition.start(node, parent=parent, input_json=input, prefix=parent.path)
    if data is not None and row.status == ExecutionStatus.PENDING:
        row.resume_data = data  # the row is inserted when the transition closes
