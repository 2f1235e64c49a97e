"""What the run page shows a person for each step waiting on people, and what they may do.

One ``ReviewItem`` per open question: the payload as the workflow presents it,
the draft and its revisions when the step shows one, and the resume form built
from the step's schema. Controls depend on who looks, so these are rendered
per viewer (the page, htmx responses, and each websocket connection).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from pydantic import BaseModel

from review import claims, drafts, roles
from review.models import ReviewTask
from review.queue import assignee_of
from review.schema_forms import action_choices, as_model, build_form_class
from workflows import presentation
from workflows.engine import registry
from workflows.engine.errors import WorkflowError
from workflows.engine.nodes import StepNode
from workflows.models import Suspension, WorkflowRun


@dataclass
class ReviewItem:
    run: WorkflowRun
    suspension: Suspension
    step_id: str
    spec: presentation.StepForm
    schema: type[BaseModel] | None  # None: the deployed definition lost the step
    wrapped: bool
    form: forms.Form | None
    actions: list[tuple[str, str]]
    draft: drafts.Draft | None
    can_decide: bool
    can_edit: bool
    holder: str | None = None  # who has claimed it (an active claim)
    assignee: str | None = None
    due_at: Any = None
    overdue: bool = False
    can_reassign: bool = False
    mine: bool = False  # ... and that is the viewer
    notice: str = ""

    @property
    def payload(self) -> Any:
        return self.suspension.payload

    @property
    def problem(self) -> str:
        payload = self.payload
        return str(payload.get("problem") or "") if isinstance(payload, dict) else ""

    @property
    def shown_revision(self) -> int:
        return self.draft.latest.number if self.draft is not None else 0

    @property
    def may_act(self) -> bool:
        return self.can_decide or bool(self.actions and self.visible_actions)

    @property
    def may_claim(self) -> bool:
        return self.can_decide or (self.can_edit and self.draft is not None)

    @property
    def held_by_other(self) -> bool:
        return self.holder is not None and not self.mine

    @property
    def visible_actions(self) -> list[tuple[str, str]]:
        """Every action for deciders; an editor sees only "approve" on an edited draft."""
        if self.can_decide:
            return self.actions
        draft = self.draft
        if draft is not None and draft.edited and self.can_edit:
            return [(value, text) for value, text in self.actions if value == draft.hook.approve]
        return []


def resume_schema(run: WorkflowRun, suspension: Suspension) -> tuple[type[BaseModel] | None, bool]:
    """The form's model for a question, and whether it wraps a non-model schema."""
    try:
        node = registry.get(run.workflow_id).resolve(suspension.path_key.split("."))
    except (WorkflowError, LookupError, KeyError):
        return None, False  # the deployed definition no longer has this step
    if not isinstance(node, StepNode):
        return None, False
    return as_model(node.step.resume, label="Answer")


def review_item(
    run: WorkflowRun,
    suspension: Suspension,
    user: Any,
    *,
    bound: forms.Form | None = None,
    notice: str = "",
) -> ReviewItem:
    step_id = suspension.path_key.rsplit(".", 1)[-1]
    spec = presentation.get(run.workflow_id).form_for(step_id)
    held = claims.active_claim(suspension)
    task = (
        ReviewTask.objects.select_related("assignee_user", "assignee_group")
        .filter(suspension=suspension)
        .first()
    )
    schema, wrapped = resume_schema(run, suspension)
    form = bound
    if form is None and schema is not None:
        form = build_form_class(schema, spec, suspension.payload)(
            auto_id=f"id_{suspension.pk.hex[:8]}_%s"
        )
    return ReviewItem(
        run=run,
        suspension=suspension,
        step_id=step_id,
        spec=spec,
        schema=schema,
        wrapped=wrapped,
        form=form,
        actions=action_choices(schema, spec) if schema is not None else [],
        draft=drafts.draft_of(suspension, run.workflow_id),
        can_decide=roles.can(user, roles.DECIDE),
        can_edit=roles.can(user, roles.EDIT_DRAFT),
        holder=held.user.get_username() if held is not None else None,
        mine=held is not None and held.user_id == getattr(user, "pk", None),
        assignee=assignee_of(task),
        due_at=task.due_at if task else None,
        overdue=bool(task and task.overdue_at),
        can_reassign=roles.can(user, roles.REASSIGN),
        notice=notice,
    )


def open_questions(run: WorkflowRun) -> list[Suspension]:
    return list(run.suspensions.open().order_by("created_at"))


def review_items(run: WorkflowRun, user: Any) -> list[ReviewItem]:
    return [review_item(run, suspension, user) for suspension in open_questions(run)]
