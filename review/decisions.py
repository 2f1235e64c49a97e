"""The review services: start a run, decide a waiting step, save a draft edit.

Pages, htmx requests and the JSON API call these and nothing else to act, so
every surface applies the same permissions, the same checks and the same audit
trail. Each write takes the run's lock first, so "is the draft still the one the
reviewer saw?" and the write it guards are ordered with every other change.

Audit events (namespaced, written through ``api.record_event``):
- ``review.decided``: in the same transaction as the resume it causes;
- ``review.draft_edited``: with the revision and its diff against the previous one.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction

from review import claims, drafts, roles
from review.errors import DraftChanged, Forbidden, NoDraft, RevisionRequired, TooLarge
from review.models import DraftRevision
from review.permissions import runs_visible_to
from workflows import presentation
from workflows.engine import api
from workflows.engine.errors import InvalidInput, RunNotFound
from workflows.models import Suspension, WorkflowRun

DECIDED = "review.decided"
DRAFT_EDITED = "review.draft_edited"
DEFAULT_DRAFT_MAX_CHARS = 200_000


def _visible_run(actor: Any, run_id: Any) -> WorkflowRun:
    run = runs_visible_to(actor).filter(pk=api.get_run(run_id).pk).first()
    if run is None:
        raise RunNotFound(f"no run with id {str(run_id)!r}", run_id=str(run_id))
    return run


def _require(actor: Any, action: str, doing: str) -> None:
    if not roles.can(actor, action):
        raise Forbidden(f"you may not {doing} (permission review.{action} is needed)")


def start(
    *, workflow_id: str, input: Any, actor: Any, idempotency_key: str | None = None
) -> WorkflowRun:
    """Start a run as ``actor``; the input is validated against the workflow's schema."""
    _require(actor, roles.START_RUN, "start runs")
    return api.start_run(workflow_id, input, actor=actor, idempotency_key=idempotency_key)


def decide(
    *,
    run_id: Any,
    actor: Any,
    data: Any,
    suspension_id: Any = None,
    path: str | None = None,
    label: str | None = None,
    revision: int | None = None,
    take_over: bool = False,
) -> Suspension:
    """Answer a waiting step, bound to the draft revision the person saw.

    A step that shows an editable draft needs ``revision``; when the draft
    changed since, the decision is refused with the newer text (409
    ``draft_changed``) and the step keeps waiting. The latest revision travels
    to the step with every decision the workflow says carries edits. A question
    someone else has claimed needs ``take_over`` (recorded as a takeover).
    """
    if not (roles.can(actor, roles.DECIDE) or roles.can(actor, roles.EDIT_DRAFT)):
        raise Forbidden("you may not decide steps (permission review.decide is needed)")
    run = _visible_run(actor, run_id)
    with transaction.atomic():
        api.locked_run(run.pk)
        suspension = api.open_suspension(
            run.pk, suspension_id=suspension_id, path=path, label=label
        )
        draft = drafts.draft_of(suspension, run.workflow_id)
        if draft is not None:
            if not isinstance(data, dict):
                raise InvalidInput(
                    "the decision", [{"field": "data", "message": "must be an object"}]
                )
            _check_revision(draft, revision)
            data = _with_edits(draft, dict(data), actor)
        _check_may_decide(actor, draft, data)
        claims.check_before_deciding(run.pk, suspension, actor, take_over)
        api.resume_run(run.pk, data, suspension_id=suspension.pk, actor=actor)
        suspension.refresh_from_db()
        api.record_event(
            run.pk,
            DECIDED,
            path=suspension.path_key,
            actor=actor,
            data={
                "suspension_id": str(suspension.pk),
                "decision": suspension.resume_data,
                "revision": draft.latest.number if draft is not None else None,
                "summary": _summary(run, suspension),
            },
        )
    return suspension


def _check_revision(draft: drafts.Draft, revision: int | None) -> None:
    if revision is None:
        raise RevisionRequired(
            "say which revision of the draft you decided on (revision); "
            f"the current one is {draft.latest.number}",
            current_revision=draft.latest.number,
        )
    if revision != draft.latest.number:
        raise _changed(draft, since=revision)


def _changed(draft: drafts.Draft, *, since: int) -> DraftChanged:
    latest = draft.latest
    who = f" by {latest.author}" if latest.author else ""
    return DraftChanged(
        f"the draft changed since you saw it (revision {since}): revision {latest.number} "
        f"was saved{who}. Read the new draft, then decide again.",
        current_revision=latest.number,
        text=latest.text,
    )


def _with_edits(draft: drafts.Draft, data: dict[str, Any], actor: Any) -> dict[str, Any]:
    hook = draft.hook
    if hook.resume_field in data:
        raise Forbidden(
            f"edits reach the step as saved revisions, not in {hook.resume_field!r}: "
            "save the draft first, then decide"
        )
    if draft.edited and data.get(hook.action_field) in hook.carried_by:
        data[hook.resume_field] = draft.latest.text
    return data


def _check_may_decide(actor: Any, draft: drafts.Draft | None, data: Any) -> None:
    if roles.can(actor, roles.DECIDE):
        return
    if (
        draft is not None
        and isinstance(data, dict)
        and draft.edited
        and data.get(draft.hook.action_field) == draft.hook.approve
        and roles.can(actor, roles.EDIT_DRAFT)
    ):
        return
    raise Forbidden("you may not decide this step (permission review.decide is needed)")


def _summary(run: WorkflowRun, suspension: Suspension) -> str:
    describe = presentation.get(run.workflow_id).describe_decision
    step_id = suspension.path_key.rsplit(".", 1)[-1]
    if describe is not None:
        return describe(step_id, suspension.payload, suspension.resume_data or {})
    return f"answered {step_id}"


def draft_max_chars() -> int:
    return int(getattr(settings, "HANDOFF_DRAFT_MAX_CHARS", DEFAULT_DRAFT_MAX_CHARS))


def clean_text(value: Any, *, field: str, max_chars: int) -> str:
    """Text people send: a string, within the limit, storable on every database."""
    if not isinstance(value, str):
        raise InvalidInput(f"the {field}", [{"field": field, "message": "must be text"}])
    if len(value) > max_chars:
        raise TooLarge(
            f"the {field} is {len(value):,} characters; the limit is {max_chars:,}",
            limit=max_chars,
        )
    if "\x00" in value:
        raise InvalidInput(
            f"the {field}", [{"field": field, "message": "contains a NUL character"}]
        )
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput(
            f"the {field}", [{"field": field, "message": "contains an unpaired surrogate"}]
        ) from None
    return value.replace("\r\n", "\n")


def save_draft(
    *,
    run_id: Any,
    actor: Any,
    text: Any,
    base_revision: Any,
    suspension_id: Any = None,
    path: str | None = None,
) -> tuple[DraftRevision | None, drafts.Draft]:
    """Save an edit as the next revision, if it was made on the latest one.

    Returns the new revision (None when the text did not change) and the draft
    as it now stands. Two editors saving from the same revision: the second is
    refused with the first one's text (409 ``draft_changed``), never overwritten.
    """
    _require(actor, roles.EDIT_DRAFT, "edit drafts")
    run = _visible_run(actor, run_id)
    text = clean_text(text, field="text", max_chars=draft_max_chars())
    if not text.strip():
        raise InvalidInput("the draft", [{"field": "text", "message": "must not be empty"}])
    if isinstance(base_revision, bool) or not isinstance(base_revision, int):
        raise RevisionRequired(
            "say which revision your edit started from (base_revision, a whole number)"
        )
    with transaction.atomic():
        api.locked_run(run.pk)
        suspension = api.open_suspension(run.pk, suspension_id=suspension_id, path=path)
        draft = drafts.draft_of(suspension, run.workflow_id)
        if draft is None:
            raise NoDraft(f"{suspension.path_key} shows no draft to edit")
        if base_revision != draft.latest.number:
            raise _changed(draft, since=base_revision)
        previous = draft.latest
        if text == previous.text:
            return None, draft
        added, removed = drafts.line_counts(previous.text, text)
        revision = DraftRevision.objects.create(
            run=run,
            execution_id=suspension.execution_id,
            suspension=suspension,
            number=previous.number + 1,
            text=text,
            author=actor,
            lines_added=added,
            lines_removed=removed,
        )
        claims.renew(suspension, actor)
        api.record_event(
            run.pk,
            DRAFT_EDITED,
            path=suspension.path_key,
            actor=actor,
            data={
                "suspension_id": str(suspension.pk),
                "revision": revision.number,
                "lines_added": added,
                "lines_removed": removed,
                "diff": drafts.unified_diff(
                    previous.text,
                    text,
                    old=f"revision {previous.number}",
                    new=f"revision {revision.number}",
                ),
            },
        )
    return revision, drafts.draft_of(suspension, run.workflow_id) or draft


def cancel(*, run_id: Any, actor: Any, reason: str = "") -> WorkflowRun:
    _require(actor, roles.CANCEL_RUN, "cancel runs")
    run = _visible_run(actor, run_id)
    reason = clean_text(reason, field="reason", max_chars=4000)
    return api.cancel_run(run.pk, actor=actor, reason=reason)


def retry(*, run_id: Any, actor: Any, path: str | None = None) -> Any:
    _require(actor, roles.RETRY_STEP, "retry steps")
    run = _visible_run(actor, run_id)
    return api.retry_step(run.pk, path, actor=actor)


def fork(
    *,
    run_id: Any,
    actor: Any,
    path: str,
    input: Any = None,
    resume_data: Any = None,
) -> WorkflowRun:
    _require(actor, roles.START_RUN, "start runs (a fork is a new run)")
    run = _visible_run(actor, run_id)
    return api.fork_run(run.pk, path, input=input, resume_data=resume_data, actor=actor)
