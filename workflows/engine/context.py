"""What a step's function sees: its input, resume data, state, and the controls it may use.

``suspend`` and ``bail`` raise control-flow signals so no code after them runs
by accident; the worker turns each signal into the matching transition.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, NoReturn, TypeVar

from workflows.engine import limits, schemas
from workflows.engine.errors import InvalidData

InputT = TypeVar("InputT")


class StepSignal(BaseException):
    """Base of the signals a step raises to leave early on purpose.

    A ``BaseException``, as ``asyncio.CancelledError`` and ``KeyboardInterrupt``
    are, so a step body's ``except Exception:`` (around an HTTP call, say) does
    not swallow its own suspension, bail or cancellation and carry on.
    """


class Suspend(StepSignal):
    def __init__(self, payload: Any, label: str) -> None:
        super().__init__("step suspended")
        self.payload = payload
        self.label = label


class Bail(StepSignal):
    def __init__(self, result: Any) -> None:
        super().__init__("run bailed")
        self.result = result


class Canceled(StepSignal):
    def __init__(self) -> None:
        super().__init__("run canceled")


@dataclass
class RunView:
    """The parts of a run a step may read, loaded once when its execution is claimed."""

    run_id: str
    workflow_id: str
    input: Any
    state: dict[str, Any]


@dataclass
class StepContext(Generic[InputT]):
    """Passed to every step function as its only argument.

    ``input`` is typed by the step's input schema; ``resume_data`` by its resume
    schema (None on the first run); ``idempotency_key`` is stable across retries
    and re-runs of the same execution, so side effects can be deduplicated.
    """

    input: InputT
    resume_data: Any
    run: RunView
    execution_id: int
    path: list[str]
    attempt: int
    iteration: int
    item_index: int | None
    _read_output: Callable[[str], Any] | None = None
    _emit: Callable[[str, Any], bool] | None = None
    _is_canceled: Callable[[], bool] | None = None
    state_patch: dict[str, Any] = field(default_factory=dict)
    _cancel_checked_at: float = 0.0
    _canceled: bool = False

    @property
    def run_id(self) -> str:
        return self.run.run_id

    @property
    def run_input(self) -> Any:
        return self.run.input

    @property
    def idempotency_key(self) -> str:
        return f"{self.run.run_id}:{self.execution_id}"

    @property
    def state(self) -> dict[str, Any]:
        """Workflow state as this step sees it, including its own uncommitted changes."""
        return {**self.run.state, **self.state_patch}

    def set_state(self, values: dict[str, Any] | None = None, **more: Any) -> None:
        """Merge keys into workflow state; committed with the step's result (or suspension)."""
        patch = {**(values or {}), **more}
        self.state_patch.update({key: schemas.to_json(value) for key, value in patch.items()})

    def suspend(self, payload: Any = None, *, label: str = "") -> NoReturn:
        """Pause for a person. The step runs again, from the top, with ``resume_data`` set."""
        raise Suspend(payload, label)

    def bail(self, result: Any) -> NoReturn:
        """End the whole run now, successfully, with ``result``."""
        raise Bail(result)

    def emit(self, data: Any, *, type: str = "progress") -> None:
        """Publish progress or a custom event (e.g. streamed tokens) to watchers, live.

        An attempt that no longer owns its step (its lease expired and a retry
        took over, or the run ended) writes nothing, and from then on
        ``is_canceled()`` is true, so two attempts' tokens never mix.
        """
        if self._emit is None or self._canceled:
            return
        limits.check_depth(data, what="the emitted data", error=InvalidData)
        if self._emit(type, schemas.to_json(data)) is False:
            self._canceled = True

    def step_output(self, step_id: str) -> Any:
        """The output of an earlier step of this run, by id (or dotted path)."""
        if self._read_output is None:
            raise LookupError("step outputs are not available in this context")
        return self._read_output(step_id)

    def is_canceled(self) -> bool:
        """True once the run ended (canceled, or finished by another branch) or this attempt
        lost its step to a retry; checked against the database at most 4 times a second."""
        if self._canceled or self._is_canceled is None:
            return self._canceled
        now = time.monotonic()
        if now - self._cancel_checked_at >= 0.25:
            self._cancel_checked_at = now
            self._canceled = self._is_canceled()
        return self._canceled

    def raise_if_canceled(self) -> None:
        if self.is_canceled():
            raise Canceled()


@dataclass
class Check:
    """What a branch condition, loop condition, map function or sleep function receives."""

    input: Any
    iteration: int
    state: dict[str, Any]
    run_input: Any
    _read_output: Callable[[str], Any] | None = None

    @property
    def output(self) -> Any:
        """For loop conditions: the body's latest output (the same value as ``input``)."""
        return self.input

    def step_output(self, step_id: str) -> Any:
        if self._read_output is None:
            raise LookupError("step outputs are not available in this context")
        return self._read_output(step_id)
