"""What people do in the browser: start a run, decide a waiting step, edit a draft.

Thin views: each parses the form, calls one service in review/decisions.py,
and renders the partial the page swaps (htmx) or the page itself. Refusals
come back with their status (4xx), the message in place, and ``HX-Trigger``.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from review import decisions, drafts, markdown, roles
from review.errors import DraftChanged, Forbidden
from review.permissions import runs_visible_to
from review.responses import announce_error
from review.review_items import ReviewItem, review_item
from review.schema_forms import ANSWER, add_schema_errors, as_model, build_form_class, resume_data
from workflows import presentation
from workflows.engine import registry
from workflows.engine.errors import SchemaMismatch, WorkflowError, WorkflowNotFound
from workflows.models import Suspension, SuspensionStatus, WorkflowRun

START_FORM = presentation.StepForm(submit_label="Start")


def _run(request: HttpRequest, run_id: uuid.UUID) -> WorkflowRun:
    run = runs_visible_to(request.user).filter(pk=run_id).first()
    if run is None:
        raise Http404("No such run")
    return run


def _question(run: WorkflowRun, suspension_id: uuid.UUID) -> Suspension:
    suspension = Suspension.objects.filter(run=run, pk=suspension_id).first()
    if suspension is None:
        raise Http404("No such question")
    return suspension


@require_http_methods(["GET", "POST"])
@login_required
def start(request: HttpRequest, workflow_id: str) -> HttpResponse:
    try:
        definition = registry.get(workflow_id)
    except WorkflowNotFound:
        raise Http404("No such workflow") from None
    label = presentation.get(workflow_id).start_label or f"Start {workflow_id}"
    if not roles.can(request.user, roles.START_RUN):
        return TemplateResponse(request, "review/forbidden.html", {"what": label}, status=403)
    schema, wrapped = as_model(definition.input, label="Input")
    form_class = build_form_class(schema, START_FORM, None)
    form = form_class(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                data: Any = resume_data(form, schema)
                run = decisions.start(
                    workflow_id=workflow_id,
                    input=data.get(ANSWER) if wrapped else data,
                    actor=request.user,
                )
            except SchemaMismatch as exc:
                add_schema_errors(form, exc.errors)
                status = exc.http_status
            except WorkflowError as exc:
                form.add_error(None, exc.message)
                status = exc.http_status
            else:
                return redirect("review:run", run_id=run.pk)
        else:
            status = 400
    return TemplateResponse(
        request,
        "review/start.html",
        {"form": form, "workflow_id": workflow_id, "label": label, "definition": definition},
        status=status,
    )


def _item_response(
    request: HttpRequest, item: ReviewItem, *, error: WorkflowError | None = None
) -> HttpResponse:
    response = TemplateResponse(request, "review/_review_item.html", {"item": item})
    if error is not None:
        announce_error(response, error)
    return response


def _posted_revision(request: HttpRequest) -> int | None:
    raw = request.POST.get("revision", "")
    return int(raw) if raw.isdigit() else None


@require_POST
@login_required
def decide(request: HttpRequest, run_id: uuid.UUID, suspension_id: uuid.UUID) -> HttpResponse:
    if not (roles.can(request.user, roles.DECIDE) or roles.can(request.user, roles.EDIT_DRAFT)):
        return _forbidden(
            request, Forbidden("you may not decide steps (permission review.decide is needed)")
        )
    run = _run(request, run_id)
    suspension = _question(run, suspension_id)
    item = review_item(run, suspension, request.user)
    if item.schema is None or item.form is None:
        raise Http404("This question has no form")
    form = type(item.form)(request.POST, auto_id=item.form.auto_id)
    item.form = form
    if not form.is_valid():
        return _item_response(request, item, error=SchemaMismatch("the decision", []))
    data: Any = resume_data(form, item.schema)
    if item.spec.actions:
        data[item.spec.actions] = request.POST.get(item.spec.actions, "")
    if item.wrapped:
        data = data.get(ANSWER)
    try:
        decided = decisions.decide(
            run_id=run.pk,
            actor=request.user,
            data=data,
            suspension_id=suspension.pk,
            revision=_posted_revision(request) if item.draft is not None else None,
            take_over=request.POST.get("take_over") == "on",
        )
    except SchemaMismatch as exc:
        add_schema_errors(form, exc.errors)
        return _item_response(request, item, error=exc)
    except WorkflowError as exc:
        fresh = review_item(run, _question(run, suspension_id), request.user, bound=form)
        fresh.notice = exc.message
        if not isinstance(exc, DraftChanged):
            fresh.form = form
        return _item_response(request, fresh, error=exc)
    return TemplateResponse(
        request,
        "review/_review_done.html",
        {"suspension": decided, "summary": _decision_summary(run, decided)},
    )


def _decision_summary(run: WorkflowRun, suspension: Suspension) -> str:
    describe = presentation.get(run.workflow_id).describe_decision
    step_id = suspension.path_key.rsplit(".", 1)[-1]
    if describe is None:
        return f"answered {step_id}"
    return describe(step_id, suspension.payload, suspension.resume_data or {})


def _open_draft(request: HttpRequest, run_id: uuid.UUID, suspension_id: uuid.UUID) -> Any:
    if not roles.can(request.user, roles.EDIT_DRAFT):
        raise Forbidden("you may not edit drafts (permission review.edit_draft is needed)")
    run = _run(request, run_id)
    suspension = _question(run, suspension_id)
    draft = drafts.draft_of(suspension, run.workflow_id)
    if draft is None:
        raise Http404("This question shows no draft")
    return run, suspension, draft


def _forbidden(request: HttpRequest, exc: WorkflowError) -> HttpResponse:
    response = TemplateResponse(request, "review/_notice.html", {"message": exc.message})
    return announce_error(response, exc)


@require_GET
@login_required
def edit_draft(request: HttpRequest, run_id: uuid.UUID, suspension_id: uuid.UUID) -> HttpResponse:
    try:
        run, suspension, draft = _open_draft(request, run_id, suspension_id)
    except Forbidden as exc:
        return _forbidden(request, exc)
    if suspension.status != SuspensionStatus.OPEN:
        return TemplateResponse(
            request, "review/_notice.html", {"message": "This draft was already decided."}
        )
    return TemplateResponse(
        request,
        "review/_draft_editor.html",
        {
            "run": run,
            "suspension": suspension,
            "text": draft.latest.text,
            "base_revision": draft.latest.number,
            "newer": None,
            "notice": "",
        },
    )


@require_POST
@login_required
def save_draft(request: HttpRequest, run_id: uuid.UUID, suspension_id: uuid.UUID) -> HttpResponse:
    try:
        run, suspension, draft = _open_draft(request, run_id, suspension_id)
    except Forbidden as exc:
        return _forbidden(request, exc)
    text = request.POST.get("text", "")
    raw_base = request.POST.get("base_revision", "")
    context: dict[str, Any] = {"run": run, "suspension": suspension, "text": text, "newer": None}
    try:
        revision, current = decisions.save_draft(
            run_id=run.pk,
            actor=request.user,
            text=text,
            base_revision=int(raw_base) if raw_base.isdigit() else None,
            suspension_id=suspension.pk,
        )
    except DraftChanged as exc:
        latest = exc.details["current_revision"]
        newer = drafts.draft_of(suspension, run.workflow_id)
        context |= {
            "base_revision": latest,
            "newer": newer.latest if newer else None,
            "notice": exc.message + " Your text is kept below: save again to replace theirs.",
        }
        return announce_error(TemplateResponse(request, "review/_draft_editor.html", context), exc)
    except WorkflowError as exc:
        context |= {"base_revision": draft.latest.number, "notice": exc.message}
        return announce_error(TemplateResponse(request, "review/_draft_editor.html", context), exc)
    message = (
        f"Saved revision {revision.number}." if revision is not None else "No changes to save."
    )
    return TemplateResponse(
        request,
        "review/_draft_saved.html",
        {"run": run, "suspension": suspension, "message": message, "draft": current},
    )


@require_POST
@login_required
def preview_draft(
    request: HttpRequest, run_id: uuid.UUID, suspension_id: uuid.UUID
) -> HttpResponse:
    try:
        _open_draft(request, run_id, suspension_id)
        text = decisions.clean_text(
            request.POST.get("text", ""), field="text", max_chars=decisions.draft_max_chars()
        )
    except WorkflowError as exc:
        return _forbidden(request, exc)
    return HttpResponse(markdown.render(text))


@require_GET
@login_required
def revision_diff(
    request: HttpRequest, run_id: uuid.UUID, suspension_id: uuid.UUID, number: int
) -> HttpResponse:
    run = _run(request, run_id)
    draft = drafts.draft_of(_question(run, suspension_id), run.workflow_id)
    revision = draft.revision(number) if draft is not None else None
    if draft is None or revision is None:
        raise Http404("No such revision")
    against = request.GET.get("against", "original")
    base = draft.original if against == "original" else draft.revision(max(number - 1, 0))
    assert base is not None
    diff = drafts.unified_diff(
        base.text, revision.text, old=f"revision {base.number}", new=f"revision {number}"
    )
    return TemplateResponse(
        request,
        "review/_revision_diff.html",
        {"diff": diff, "revision": revision, "base": base, "against": against},
    )
