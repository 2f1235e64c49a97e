"""The timeline's words: what each event means to a person, not its type name.

"reviewer chose angle 'What other guides miss'", "editor edited the draft
(+12 -3 lines)": decisions carry their own summary (written by the
workflow's presentation when they were made), everything else is phrased here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from workflows.engine.kinds import FUNCTION_KINDS
from workflows.models import EventType

REVIEW_LABELS = {
    "review.decided": "Decision",
    "review.draft_edited": "Draft edited",
    "review.claimed": "Claimed",
    "review.released": "Released",
    "review.taken_over": "Taken over",
    "review.overdue": "Overdue",
    "review.reassigned": "Reassigned",
}
DETAIL_CHARS = 160


def label(event: dict[str, Any]) -> str:
    kind = str(event.get("type", ""))
    return REVIEW_LABELS.get(kind) or EventType.label_of(kind)


def _who(event: dict[str, Any], default: str = "someone") -> str:
    return str(event.get("actor") or default)


def _step(event: dict[str, Any]) -> str:
    path = event.get("path") or []
    return str(path[-1]) if path else "the workflow"


def _clip(value: Any) -> str:
    text = " ".join(str(value or "").split())
    return text if len(text) <= DETAIL_CHARS else text[: DETAIL_CHARS - 1] + "…"


def _error(data: dict[str, Any]) -> str:
    error = data.get("error")
    return _clip(error.get("message", "") if isinstance(error, dict) else error)


def _round(data: dict[str, Any]) -> str:
    iteration = data.get("iteration")
    return f" (round {iteration})" if iteration else ""


def _retried(data: dict[str, Any]) -> bool:
    """A step's second attempt after a failure; a resumed step's rerun is not one."""
    attempt = data.get("attempt") or 1
    return bool(attempt > 1 and not data.get("resumed") and data.get("kind") in FUNCTION_KINDS)


def sentence(event: dict[str, Any]) -> str:
    kind = str(event.get("type", ""))
    data: dict[str, Any] = event.get("data") or {}
    step = _step(event)
    phrases: dict[str, Callable[[], str]] = {
        "run.started": lambda: f"{_who(event, 'the system')} started the run",
        "run.suspended": lambda: "The run waits for a person",
        "run.resumed": lambda: "The run continues",
        "run.completed": lambda: (
            "The run ended early" if data.get("bailed") else "The run finished"
        ),
        "run.failed": lambda: f"The run failed: {_error(data)}",
        "run.canceled": lambda: (
            f"{_who(event)} canceled the run"
            + (f": {_clip(data['reason'])}" if data.get("reason") else "")
        ),
        "run.retried": lambda: f"{_who(event)} retried the run",
        "step.started": lambda: (
            f"{step} started{_round(data)}"
            + (f", attempt {data['attempt']}" if _retried(data) else "")
        ),
        "step.completed": lambda: f"{step} finished{_round(data)}",
        "step.failed": lambda: f"{step} failed: {_error(data)}",
        "step.suspended": lambda: f"{step} waits for a person{_round(data)}",
        "step.resumed": lambda: f"{_who(event)} answered {step}",
        "step.retrying": lambda: (
            f"{step} will run again"
            + (f" ({data['reason'].replace('_', ' ')})" if data.get("reason") else "")
        ),
        "step.waiting": lambda: f"{step} waits until {str(data.get('wake_at', ''))[11:19]}",
        "step.output": lambda: f"{step} reported {data.get('type', 'output')}",
        "state.changed": lambda: "Run state updated: " + ", ".join(data.get("changed", [])),
        "review.decided": lambda: f"{_who(event)} {data.get('summary') or 'decided'}",
        "review.claimed": lambda: f"{_who(event)} is working on {step}",
        "review.overdue": lambda: (
            f"{step} is overdue"
            + (f"; escalated to {data['escalated_to']}" if data.get("escalated_to") else "")
        ),
        "review.reassigned": lambda: (
            f"{_who(event)} gave {step} to {data.get('user') or data.get('group')}"
        ),
        "review.released": lambda: f"{_who(event)} released {step}",
        "review.taken_over": lambda: (
            f"{_who(event)} took {step} over from {data.get('previous', 'someone')}"
        ),
        "review.draft_edited": lambda: (
            f"{_who(event)} edited the draft "
            f"(+{data.get('lines_added', 0)} \u2212{data.get('lines_removed', 0)} lines)"
        ),
    }
    phrase = phrases.get(kind)
    return phrase() if phrase else f"{label(event)} at {step}"
