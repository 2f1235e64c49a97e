"""The dashboard and the run page; both update live over websockets (review/consumers.py)."""

from __future__ import annotations

import uuid

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET

from review.permissions import runs_visible_to
from review.selectors import dashboard_runs, run_page


@require_GET
@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    return TemplateResponse(
        request, "review/dashboard.html", {"runs": dashboard_runs(request.user)}
    )


@require_GET
@login_required
def run_detail(request: HttpRequest, run_id: uuid.UUID) -> HttpResponse:
    run = runs_visible_to(request.user).select_related("created_by").filter(pk=run_id).first()
    if run is None:
        raise Http404("No such run")
    return TemplateResponse(request, "review/run_detail.html", {"page": run_page(run)})
