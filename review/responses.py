"""Refusals mapped once: a ``WorkflowError`` becomes its HTTP status and one JSON shape.

``{"code": …, "message": …, "fields": {name: message}?, "details": {…}?}`` is
what the JSON API returns and what htmx responses carry in their
``HX-Trigger`` header (``handoff:error``), so the page can announce it.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpResponse, JsonResponse

from workflows.engine.errors import SchemaMismatch, WorkflowError

ERROR_EVENT = "handoff:error"


def error_body(exc: WorkflowError) -> dict[str, Any]:
    body: dict[str, Any] = {"code": exc.code, "message": exc.message}
    details = {key: value for key, value in exc.details.items() if key != "errors"}
    if isinstance(exc, SchemaMismatch):
        fields: dict[str, str] = {}
        for error in exc.errors:
            name = error["field"]
            fields[name] = (
                f"{fields[name]}; {error['message']}" if name in fields else error["message"]
            )
        body["fields"] = fields
    if details:
        body["details"] = details
    return body


def json_error(exc: WorkflowError) -> JsonResponse:
    return JsonResponse(error_body(exc), status=exc.http_status)


def plain_error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"code": code, "message": message}, status=status)


def announce_error(response: HttpResponse, exc: WorkflowError) -> HttpResponse:
    """Let the page say the refusal out loud (aria-live) and keep its code for scripts."""
    response.status_code = exc.http_status
    response["HX-Trigger"] = json.dumps({ERROR_EVENT: error_body(exc)})
    return response
