"""How content briefs look to people: subject, outcome label, download, review forms.

Registered with :mod:`workflows.presentation` when the workflow module loads;
the review product reads it and holds no content-brief special case.
"""

from __future__ import annotations

from typing import Any

from workflows import presentation
from workflows.content_brief.export import BriefNotReady, brief_filename, brief_markdown
from workflows.models import RunStatus, WorkflowRun

ANGLE_STEP = "angle_review"
BRIEF_STEP = "brief_review"
QUOTE_CHARS = 120


def subject(run: WorkflowRun) -> str:
    state = run.state or {}
    return str(state.get("subject") or (run.input or {}).get("url") or "")


def result_label(run: WorkflowRun) -> presentation.ResultLabel | None:
    result = run.result or {}
    if run.status == RunStatus.SUCCESS and result.get("status") == "rejected":
        return presentation.ResultLabel(
            text="Rejected", tone="rejected", detail=str(result.get("reason") or "")
        )
    if run.status == RunStatus.SUCCESS and result.get("status") == "approved":
        return presentation.ResultLabel(text="Approved", tone="success")
    return None


def download(run: WorkflowRun) -> presentation.Download | None:
    try:
        markdown = brief_markdown(run)
    except BriefNotReady:
        return None
    return presentation.Download(
        filename=brief_filename(run),
        content_type="text/markdown; charset=utf-8",
        content=markdown,
        label="Download",
    )


def angle_choices(payload: Any) -> list[presentation.Choice]:
    angles = (payload or {}).get("angles") or []
    return [
        (str(index), str(angle.get("title", "")), str(angle.get("rationale", "")))
        for index, angle in enumerate(angles)
    ]


def _quote(text: str) -> str:
    text = " ".join(str(text).split())
    if len(text) > QUOTE_CHARS:
        text = text[: QUOTE_CHARS - 1].rstrip() + "…"
    return f"'{text}'"


def describe_decision(step_id: str, payload: Any, data: Any) -> str:
    """The timeline's words for a decision: "chose angle 'What other guides miss'"."""
    if step_id == ANGLE_STEP:
        option = data.get("option")
        if option is not None:
            angles = (payload or {}).get("angles") or []
            title = angles[option]["title"] if 0 <= option < len(angles) else f"option {option}"
            return f"chose angle {_quote(title)}"
        return f"chose a custom angle {_quote(data.get('custom_angle', ''))}"
    if step_id == BRIEF_STEP:
        decision = data.get("decision")
        round_number = (payload or {}).get("round")
        if decision == "approve":
            edited = " as edited" if data.get("edited_markdown") is not None else ""
            return f"approved the draft of round {round_number}{edited}"
        if decision == "request_changes":
            return f"requested changes: {_quote(data.get('feedback', ''))}"
        if decision == "reject":
            return f"rejected: {_quote(data.get('reason', ''))}"
    return f"answered {step_id}"


def draft_text(payload: Any) -> str:
    return str(((payload or {}).get("draft") or {}).get("markdown") or "")


CONTENT_BRIEF = presentation.Presentation(
    start_label="New brief",
    subject=subject,
    result_label=result_label,
    download=download,
    forms={
        ANGLE_STEP: presentation.StepForm(
            submit_label="Choose angle",
            choices={"option": angle_choices},
            panel="content_brief/_angle_review.html",
        ),
        BRIEF_STEP: presentation.StepForm(
            actions="decision",
            action_labels={
                "approve": "Approve",
                "request_changes": "Request changes",
                "reject": "Reject",
            },
            exclude=("edited_draft", "edited_markdown"),
            panel="content_brief/_brief_review.html",
        ),
    },
    drafts={
        BRIEF_STEP: presentation.EditableDraft(
            text=draft_text,
            resume_field="edited_markdown",
            action_field="decision",
            carried_by=("approve", "request_changes"),
            approve="approve",
        )
    },
    describe_decision=describe_decision,
)
