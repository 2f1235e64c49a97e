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
from workflows.engine.builder import Workflow, WorkflowNode
from workflows.engine.errors import (
    Conflict,
    DefinitionChanged,
    InvalidInput,
    InvalidResumeData,
    SchemaMismatch,
    WorkflowError,
)
from workflows.engine.nodes import BranchNode, Node, ParallelNode, StepNode
from workflows.engine.requested import RequestedTransition
from workflows.models import ExecutionStatus, StepExecution, WorkflowRun


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
    """Check everything first (path, what the original reached, input, resume data), then write.

    A refused fork creates nothing: no run, no event, no notification.
    """
    workflow = registry.get(original.workflow_id)
    levels = _levels(workflow, path)
    children: dict[int | None, list[StepExecution]] = defaultdict(list)
    for row in StepExecution.objects.filter(run=original).order_by("id"):
        children[row.parent_id].append(row)
    plan = _plan(levels, children, path)
    level, node_id = levels[-1]
    node = level.node(node_id)
    start_input = _start_input(node, input, plan[-1][1])
    data = _resume_data(node, resume_data)
    with transaction.atomic():
        transition = RequestedTransition.begin(
            workflow,
            actor=actor,
            started={"forked_from": str(original.pk), "fork_path": path},
            input=original.input,
            state=original.state,
            forked_from=original,
            forked_at_path=".".join(path),
        )
        root = children[None][0]
        new_parent = transition.copy_row(root, parent=None, status=ExecutionStatus.RUNNING)
        for depth, (done, entered) in enumerate(plan):
            for row in done:
                transition.copy_finished(row, new_parent, children)
            if depth < len(plan) - 1:
                assert entered is not None
                new_parent = transition.copy_row(
                    entered, parent=new_parent, status=ExecutionStatus.RUNNING
                )
        started = transition.start(
            node, parent=new_parent, input_json=start_input, prefix=new_parent.path
        )
        if data is not None:
            transition.answer_ahead(started, data)
        transition.close()
    return transition.run


Plan = list[tuple[list[StepExecution], StepExecution | None]]


def _plan(
    levels: list[tuple[Workflow, str]],
    children: dict[int | None, list[StepExecution]],
    path: list[str],
) -> Plan:
    """Per level: the finished rows to copy, and the row at the path (None: never reached)."""
    plan: Plan = []
    old_parent = children[None][0]
    for depth, (level, node_id) in enumerate(levels):
        done = []
        for earlier in level.nodes[: level.position(node_id)]:
            row = _latest(children[old_parent.pk], earlier.id, ExecutionStatus.SUCCESS)
            if row is None:
                raise ForkRefused(
                    f"{earlier.id!r} did not complete in the original run, so the fork "
                    f"cannot start at {'.'.join(path)!r}; fork from an earlier step"
                )
            done.append(row)
        entered = _latest(children[old_parent.pk], node_id, None)
        plan.append((done, entered))
        if depth < len(levels) - 1:
            if entered is None:
                raise ForkRefused(f"the original run never reached {node_id!r}")
            old_parent = entered
    return plan


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


def _start_input(node: Node, input: Any, old_target: StepExecution | None) -> Any:
    """The input the forked step starts with, checked as the deployed definition wants it.

    Without new input the original's is reused; it is checked too, since a
    deploy may have changed the schema since it was stored.
    """
    what = f"input for {node.id}"
    if input is None:
        if old_target is None:
            raise ForkRefused(f"the original run never reached {node.id!r}; give the input to use")
        input = old_target.input
        what = f"the input {node.id} had in the original run (give new input)"
    limits.check_depth(input, what=what, error=InvalidInput)
    try:
        stored = _validated_input(node, input, what)
    except SchemaMismatch as exc:
        raise InvalidInput(what, exc.errors) from None
    limits.check(stored, what=what, error=InvalidInput, limit_name="HANDOFF_MAX_INPUT_BYTES")
    return stored


def _validated_input(node: Node, input: Any, what: str) -> Any:
    """Validate against the node's schema; a parallel or branch hands it to each child."""
    if isinstance(node, ParallelNode | BranchNode):
        for child in node.children():
            _validated_input(child, input, what)
        return schemas.to_json(input)
    schema = node.input_schema
    return schemas.dump(schema, schemas.validate(schema, input, what=what))


def _resume_data(node: Node, resume_data: Any) -> Any:
    if resume_data is None:
        return None
    if not isinstance(node, StepNode) or node.step.resume is None:
        raise ForkRefused(f"{node.id!r} takes no resume data")
    what = f"resume data for {node.id}"
    limits.check_depth(resume_data, what=what, error=InvalidResumeData)
    try:
        data = schemas.dump(
            node.step.resume, schemas.validate(node.step.resume, resume_data, what=what)
        )
    except SchemaMismatch as exc:
        raise InvalidResumeData(what, exc.errors) from None
    limits.check(data, what=what, error=InvalidResumeData, limit_name="HANDOFF_MAX_RESUME_BYTES")
    return data
