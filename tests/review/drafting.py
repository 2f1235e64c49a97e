"""A small workflow whose question shows an editable draft, presented like content briefs."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from tests.workflows.flows import unique
from workflows import presentation
from workflows.engine import StepContext, Workflow, step


class Topic(BaseModel):
    topic: str = Field(title="Topic", max_length=200)


class Shown(BaseModel):
    round: int
    text: str


class Verdict(BaseModel):
    decision: Literal["approve", "request_changes", "reject"]
    feedback: str = Field(default="", title="Feedback", max_length=4000)
    edited_text: str | None = None


class Piece(BaseModel):
    text: str
    round: int = 1
    approved: bool = False


@step(input=Topic, output=Piece)
def write(ctx: StepContext[Topic]) -> Piece:
    return Piece(text=f"# {ctx.input.topic}\n\nA first line.\n")


@step(input=Piece, output=Piece, suspend=Shown, resume=Verdict)
def check(ctx: StepContext[Piece]) -> Piece:
    verdict = ctx.resume_data
    if verdict is None:
        ctx.suspend(Shown(round=ctx.input.round, text=ctx.input.text))
    text = verdict.edited_text if verdict.edited_text is not None else ctx.input.text
    if verdict.decision == "reject":
        ctx.bail({"status": "rejected", "reason": verdict.feedback})
    if verdict.decision == "approve":
        return Piece(text=text, round=ctx.input.round, approved=True)
    return Piece(text=f"{text}Revised for: {verdict.feedback}\n", round=ctx.input.round + 1)


def drafting_workflow() -> Workflow:
    workflow = (
        Workflow(unique("drafting"), input=Topic, output=Piece)
        .then(write)
        .dowhile(check, lambda c: not c.output.approved, max_iterations=5)
        .commit()
    )
    presentation.register(
        workflow.id,
        presentation.Presentation(
            start_label="New piece",
            subject=lambda run: str((run.input or {}).get("topic", "")),
            forms={
                "check": presentation.StepForm(
                    actions="decision",
                    action_labels={
                        "approve": "Approve",
                        "request_changes": "Request changes",
                        "reject": "Reject",
                    },
                    exclude=("edited_text",),
                )
            },
            drafts={
                "check": presentation.EditableDraft(
                    text=lambda payload: payload["text"],
                    resume_field="edited_text",
                    action_field="decision",
                    carried_by=("approve", "request_changes"),
                    approve="approve",
                )
            },
        ),
    )
    return workflow
