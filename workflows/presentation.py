"""How a workflow wants to be shown to people: per-workflow hooks the review product reads.

A workflow's module registers a :class:`Presentation` next to its definition.
The review pages, API and downloads ask for it by workflow id and fall back to
generic behaviour when a hook is absent, so a workflow added tomorrow works
with no template work, and the review product holds no workflow's special case.
This module lives in ``workflows`` (not ``review``) so that defining a
workflow never imports the review product.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from workflows.models import WorkflowRun

Payload = Any
ResumeData = Mapping[str, Any]
Choice = tuple[str, str, str]  # value, label, help text


@dataclass(frozen=True)
class ResultLabel:
    """How a finished run's outcome reads: "Rejected" rather than a green "Success"."""

    text: str
    tone: str  # "success", "failed", "rejected", "neutral": a CSS hook, never the only signal
    detail: str = ""


@dataclass(frozen=True)
class Download:
    filename: str
    content_type: str
    content: str
    label: str = "Download"


@dataclass(frozen=True)
class StepForm:
    """Presentation of one step's resume form; the fields come from its resume schema.

    ``actions`` names a choice field drawn as one submit button per value
    (``action_labels`` gives their text); ``choices`` gives a field its options
    from what the step showed (the suspend payload); ``exclude`` hides fields
    people do not fill in by hand; ``panel`` is a template that draws the payload.
    """

    submit_label: str = "Submit"
    actions: str | None = None
    action_labels: Mapping[str, str] = field(default_factory=dict)
    choices: Mapping[str, Callable[[Payload], list[Choice]]] = field(default_factory=dict)
    exclude: tuple[str, ...] = ()
    panel: str | None = None


@dataclass(frozen=True)
class EditableDraft:
    """A step whose question shows a text that editors may change before it is decided.

    ``text`` reads the text from the suspend payload (revision 0). The latest
    revision goes to the step in ``resume_field`` with every decision whose
    ``action_field`` is in ``carried_by``; ``approve`` is the action an editor
    without the decide permission may still take on a draft people edited.
    """

    text: Callable[[Payload], str]
    resume_field: str
    action_field: str
    carried_by: tuple[str, ...]
    approve: str


@dataclass(frozen=True)
class Assignment:
    """Who reviews a step's question, by when, and who hears of it when it is late.

    ``group`` names a role group; ``user`` picks a username from the run (it
    wins when it returns one). ``due`` counts from when the question was asked;
    past it the item is overdue and, with ``escalate_to``, goes to that group.
    """

    group: str = ""
    user: Callable[[WorkflowRun], str | None] | None = None
    due: timedelta | None = None
    escalate_to: str = ""


@dataclass(frozen=True)
class Presentation:
    start_label: str = ""
    subject: Callable[[WorkflowRun], str] | None = None
    result_label: Callable[[WorkflowRun], ResultLabel | None] | None = None
    download: Callable[[WorkflowRun], Download | None] | None = None
    forms: Mapping[str, StepForm] = field(default_factory=dict)
    drafts: Mapping[str, EditableDraft] = field(default_factory=dict)
    describe_decision: Callable[[str, Payload, ResumeData], str] | None = None
    assign: Mapping[str, Assignment] = field(default_factory=dict)

    def form_for(self, step_id: str) -> StepForm:
        return self.forms.get(step_id) or StepForm()


_registry: dict[str, Presentation] = {}
GENERIC = Presentation()


def register(workflow_id: str, presentation: Presentation) -> None:
    _registry[workflow_id] = presentation


def get(workflow_id: str) -> Presentation:
    return _registry.get(workflow_id, GENERIC)


def registered() -> dict[str, Presentation]:
    return dict(_registry)
