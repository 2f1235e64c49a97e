"""The review queue page, and claiming or releasing an item (page or htmx)."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET, require_POST

from review import assignments, claims, queue
from review.permissions import runs_visible_to
from review.responses import announce_error
from review.review_items import review_item
from workflows.engine.errors import WorkflowError
from workflows.models import Suspension


@require_GET
@login_required
def queue_page(request: HttpRequest) -> HttpResponse:
    show, number = queue.parse_view(request.GET.get("show"), request.GET.get("page"))
    return TemplateResponse(
        request, "review/queue.html", queue.view_context(request.user, show, number)
    )


def _question(request: HttpRequest, run_id: uuid.UUID, suspension_id: uuid.UUID) -> Suspension:
    run = runs_visible_to(request.user).filter(pk=run_id).first()
    suspension = Suspension.objects.filter(run=run, pk=suspension_id).first() if run else None
    if suspension is None:
        raise Http404("No such question")
    return suspension


def _respond(
    request: HttpRequest, suspension: Suspension, error: WorkflowError | None
) -> HttpResponse:
    if not request.htmx:  # type: ignore[attr-defined]
        return redirect("review:run", run_id=suspension.run_id)
    item = review_item(suspension.run, suspension, request.user)
    if error is not None:
        item.notice = error.message
    response = TemplateResponse(request, "review/_review_item.html", {"item": item})
    return announce_error(response, error) if error is not None else response


def _act(
    request: HttpRequest,
    run_id: uuid.UUID,
    suspension_id: uuid.UUID,
    service: Callable[..., object],
    **options: object,
) -> HttpResponse:
    """Claim, release or reassign a visible question; answer with its item, refused or not."""
    suspension = _question(request, run_id, suspension_id)
    try:
        service(run_id=run_id, suspension_id=suspension.pk, actor=request.user, **options)
    except WorkflowError as exc:
        return _respond(request, suspension, exc)
    return _respond(request, suspension, None)


@require_POST
@login_required
def claim(request: HttpRequest, run_id: uuid.UUID, suspension_id: uuid.UUID) -> HttpResponse:
    take_over = request.POST.get("take_over") == "on"
    return _act(request, run_id, suspension_id, claims.claim, take_over=take_over)


@require_POST
@login_required
def release(request: HttpRequest, run_id: uuid.UUID, suspension_id: uuid.UUID) -> HttpResponse:
    return _act(request, run_id, suspension_id, claims.release)


@require_POST
@login_required
def reassign(request: HttpRequest, run_id: uuid.UUID, suspension_id: uuid.UUID) -> HttpResponse:
    user = request.POST.get("user", "").strip()[:150]
    group = request.POST.get("group", "").strip()[:150]
    return _act(request, run_id, suspension_id, assignments.reassign, user=user, group=group)
