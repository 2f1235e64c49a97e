"""The checks ``Workflow.commit()`` makes before a definition may run.

Each node reports its own problems (``Node.problems``); here are the checks
of the whole: ids unique, each node's input fed by what comes before it, the
workflow's output provided, and the graph and version storable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import BaseModel

from workflows.engine import schemas
from workflows.engine.limits import problems as problems_in
from workflows.engine.limits import text_problem
from workflows.engine.nodes import (
    ID_PATTERN,
    BranchNode,
    ForeachNode,
    LoopNode,
    Node,
    ParallelNode,
    SleepNode,
)

VERSION_MAX = 64  # WorkflowRun.definition_version


class Definition(Protocol):
    """What the checks read of a workflow being committed."""

    id: str
    input: Any
    output: Any
    explicit_version: str | None

    @property
    def nodes(self) -> Sequence[Node]: ...

    def all_nodes(self) -> list[Node]: ...

    def graph(self) -> dict[str, Any]: ...


def problems(definition: Definition) -> list[str]:
    """Everything that stops ``definition`` from being committed; empty when it may run."""
    problems: list[str] = []
    if not ID_PATTERN.match(definition.id or ""):
        problems.append(f"workflow id {definition.id!r} must be letters, digits, '-', '_' or ':'")
    if not definition.nodes:
        problems.append("it has no steps; add one with .then(step)")
        return problems
    seen: set[str] = set()
    for node in definition.all_nodes():
        problems.extend(node.problems())
        if node.id in seen:
            problems.append(
                f"duplicate id {node.id!r}; use step.with_id('other-id') for a second use"
            )
        seen.add(node.id)
    problems.extend(_flow_problems(definition))
    problems.extend(_storable_problems(definition))
    return problems


def _storable_problems(definition: Definition) -> list[str]:
    """The graph and version are stored with every run: they must fit every database."""
    version = definition.explicit_version
    if version is not None and (
        not isinstance(version, str) or not 0 < len(version) <= VERSION_MAX or text_problem(version)
    ):
        return [f"version must be text of 1 to {VERSION_MAX} characters (got {version!r})"]
    try:
        found = problems_in(definition.graph())
    except (TypeError, ValueError, AttributeError) as exc:
        return [f"its description cannot be stored: {exc}"]
    return [
        f"its description cannot be stored: {item['field']} {item['message']}" for item in found
    ]


def _flow_problems(definition: Definition) -> list[str]:
    problems: list[str] = []
    previous_schema, previous_name = definition.input, "the workflow input"
    for node in definition.nodes:
        problems.extend(_feed_problems(previous_schema, previous_name, node))
        if isinstance(node, LoopNode):
            problems.extend(
                _feed_problems(node.body.output_schema, f"{node.body.id!r} output", node.body)
            )
        previous_schema, previous_name = _output_after(node), f"{node.id!r} output"
    if definition.output is not None:
        missing = _missing_fields(previous_schema, definition.output)
        if missing:
            problems.append(
                f"the last node's output ({schemas.schema_name(previous_schema)}) lacks "
                f"{sorted(missing)} required by the workflow output "
                f"{schemas.schema_name(definition.output)}"
            )
    return problems


def _output_after(node: Node) -> Any:
    if isinstance(node, ParallelNode | BranchNode):
        return _ParallelOutput(tuple(child.id for child in node.children()))
    if isinstance(node, SleepNode):
        return _PASSTHROUGH
    return node.output_schema


@dataclass(frozen=True)
class _ParallelOutput:
    """Stands for ``{branch_id: output}`` while checking how outputs feed inputs."""

    keys: tuple[str, ...]


_PASSTHROUGH = object()


def _feed_problems(source: Any, source_name: str, node: Node) -> list[str]:
    target = node.input_schema
    if isinstance(node, ParallelNode | BranchNode):
        problems = []
        for child in node.children():
            problems.extend(_feed_problems(source, source_name, child))
        return problems
    if isinstance(node, ForeachNode):
        if _is_model(source):
            return [
                f"{node.id!r}: foreach needs a list, but {source_name} is "
                f"{schemas.schema_name(source)} (reshape it with .map())"
            ]
        return []
    if target is None or source is None or source is _PASSTHROUGH:
        return []
    missing = _missing_fields(source, target)
    if missing:
        return [
            f"{node.id!r} needs {sorted(missing)} in its input "
            f"({schemas.schema_name(target)}), which {source_name} "
            f"({_source_label(source)}) does not provide"
        ]
    return []


def _missing_fields(source: Any, target: Any) -> set[str]:
    required = schemas.fields_of(target)
    if required is None:
        return set()
    if isinstance(source, _ParallelOutput):
        return required - set(source.keys)
    provided = schemas.provided_fields(source)
    if provided is None:
        return set()
    return required - provided


def _source_label(source: Any) -> str:
    if isinstance(source, _ParallelOutput):
        return "{" + ", ".join(source.keys) + "}"
    return schemas.schema_name(source)


def _is_model(schema: Any) -> bool:
    return isinstance(schema, type) and issubclass(schema, BaseModel)
