"""Downloads of a run's outcome: the approved content brief as a Markdown file."""

from __future__ import annotations

import uuid

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from review.permissions import runs_visible_to
from workflows.content_brief.export import brief_filename, brief_markdown
from workflows.engine.errors import WorkflowError


@require_GET
@login_required
def brief(request: HttpRequest, run_id: uuid.UUID) -> HttpResponse:
    run = runs_visible_to(request.user).filter(pk=run_id).first()
    if run is None:
        raise Http404("No such run")
    try:
        markdown = brief_markdown(run)
    except WorkflowError as exc:
        return HttpResponse(exc.message, status=exc.http_status, content_type="text/plain")
    response = HttpResponse(markdown, content_type="text/markdown; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{brief_filename(run)}"'
    return response
