"""A finished run's download (the approved brief, for content briefs), as the workflow offers it."""

from __future__ import annotations

import uuid
from urllib.parse import quote

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from review.permissions import runs_visible_to
from workflows import presentation


def content_disposition(filename: str) -> str:
    """RFC 6266: an ASCII fallback plus the exact name as UTF-8 (``filename*``)."""
    fallback = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in filename
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"


@require_GET
@login_required
def result(request: HttpRequest, run_id: uuid.UUID) -> HttpResponse:
    run = runs_visible_to(request.user).filter(pk=run_id).first()
    if run is None:
        raise Http404("No such run")
    offer = presentation.get(run.workflow_id).download
    download = offer(run) if offer is not None else None
    if download is None:
        return HttpResponse(
            "This run has nothing to download (yet).", status=409, content_type="text/plain"
        )
    response = HttpResponse(download.content, content_type=download.content_type)
    response["Content-Disposition"] = content_disposition(download.filename)
    return response
