"""The runs API over HTTP (JSON), for programs: read runs and events, and act on runs.

Authentication: a session (with CSRF on writes) or ``Authorization: Bearer``
with a per-user API token (review/api_auth.py). Visibility is the pages' and
websockets' rule: a run the caller may not see is 404, like a missing one.
Writes call the same services as the pages (review/decisions.py), so the same
permissions apply (403 without them). Every refusal has the one JSON shape
``{code, message, fields?, details?}`` (review/responses.py), and a request is
checked whole (size, media type, JSON, each field's type) before anything acts
on it, so a bad request changes nothing. docs/api.md documents each call with a
curl example that tests/review/test_api_docs.py runs.
"""

from __future__ import annotations

import json
import math
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.request import RawPostDataException
from django.views.decorators.csrf import csrf_exempt

from review import decisions, drafts
from review.api_auth import api_view
from review.errors import (
    BadRequest,
    IdempotencyKeyTaken,
    InvalidRequest,
    MethodNotAllowed,
    TooLarge,
    UnsupportedMediaType,
)
from review.live import messages
from review.permissions import runs_visible_to
from review.rendering import run_summary
from review.responses import json_error
from review.selectors import DASHBOARD_LIMIT, dashboard_runs
from workflows.engine import api as engine
from workflows.engine.errors import NotFound, WorkflowError
from workflows.models import RunEvent, WorkflowRun

View = Callable[..., HttpResponse]
MAX_LIMIT = 1000
DEFAULT_LIMIT = 500
MAX_EVENT_ID = 2**63 - 1  # the largest id a database integer column holds
MAX_JSON_DEPTH = 64
DEFAULT_MAX_BODY_BYTES = 1_000_000
DEFAULT_PAGE_BYTES = 4_000_000
WHOLE_NUMBER = re.compile(r"[0-9]{1,19}")


# ---------------------------------------------------------------- the request, checked


@dataclass(frozen=True)
class Field:
    """What one field of a request body may hold: ``text``, ``number``, ``id``, ``object``."""

    kind: str = "any"
    required: bool = False
    max_chars: int | None = 1000  # None: the service that takes it sets the limit


KINDS: dict[str, str] = {
    "text": "must be text",
    "number": "must be a whole number",
    "id": "must be an id (a UUID)",
    "object": "must be a JSON object",
    "boolean": "must be true or false",
}


def _wrong_kind(value: Any, spec: Field) -> str | None:
    """Why ``value`` does not fit ``spec``, or None when it does."""
    if spec.kind == "any":
        return None
    if spec.kind == "number":
        ok = isinstance(value, int) and not isinstance(value, bool)
        return None if ok else KINDS["number"]
    if spec.kind == "object":
        return None if isinstance(value, dict) else KINDS["object"]
    if spec.kind == "boolean":
        return None if isinstance(value, bool) else KINDS["boolean"]
    if not isinstance(value, str):
        return KINDS[spec.kind]
    if spec.kind == "id" and _uuid(value) is None:
        return KINDS["id"]
    if spec.max_chars is not None and len(value) > spec.max_chars:
        return f"is longer than {spec.max_chars:,} characters"
    return None


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def fields_of(body: Mapping[str, Any], specs: Mapping[str, Field]) -> dict[str, Any]:
    """Every field the request names, checked at once; absent and null fields are None."""
    errors = [
        {"field": name, "message": f"is not a field of this request (known: {', '.join(specs)})"}
        for name in body
        if name not in specs
    ]
    values: dict[str, Any] = {}
    for name, spec in specs.items():
        value = body.get(name)
        if value is None or (spec.required and value == ""):
            problem = "is required" if spec.required else None
        else:
            problem = _wrong_kind(value, spec)
        if problem:
            errors.append({"field": name, "message": problem})
        values[name] = value
    if errors:
        raise InvalidRequest("the request", errors)
    return values


def max_body_bytes() -> int:
    return int(getattr(settings, "HANDOFF_API_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES))


def _declared_size(request: HttpRequest) -> int:
    raw = request.headers.get("Content-Length") or "0"
    if not raw.isascii() or not raw.isdigit():
        raise BadRequest("the Content-Length header is not a number of bytes")
    return int(raw)


def _too_large(limit: int) -> TooLarge:
    return TooLarge(f"the request body is over {limit:,} bytes", limit=limit)


def _raw_body(request: HttpRequest, limit: int) -> bytes:
    try:
        raw = request.body
    except RequestDataTooBig:
        raise _too_large(limit) from None
    except RawPostDataException:  # a form the CSRF check already read: not JSON
        raise _unsupported(request) from None
    if len(raw) > limit:
        raise _too_large(limit)
    return raw


def _unsupported(request: HttpRequest) -> UnsupportedMediaType:
    return UnsupportedMediaType(
        "send the body as JSON (Content-Type: application/json)",
        content_type=request.content_type or None,
    )


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _parse(raw: bytes) -> Any:
    try:
        return json.loads(raw, parse_constant=_reject_constant)
    except RecursionError:
        raise BadRequest("the body is nested too deeply") from None
    except ValueError as exc:  # includes UnicodeDecodeError and JSONDecodeError
        raise BadRequest(f"the body is not valid JSON: {exc}") from None


def _storable(value: Any, depth: int = 0) -> None:
    """Refuse what parses but no database stores: NUL, lone surrogates, infinities, depth."""
    if depth > MAX_JSON_DEPTH:
        raise BadRequest(f"the body is nested more than {MAX_JSON_DEPTH} levels deep")
    if isinstance(value, str):
        _storable_text(value)
    elif isinstance(value, float) and not math.isfinite(value):
        raise BadRequest("the body holds a number too large to store")
    elif isinstance(value, dict):
        for key, item in value.items():
            _storable_text(key)
            _storable(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _storable(item, depth + 1)


def _storable_text(text: str) -> None:
    if "\x00" in text:
        raise BadRequest("the body holds a NUL character (\\u0000), which cannot be stored")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise BadRequest("the body holds an unpaired surrogate (\\ud800-\\udfff)") from None


def body_of(request: HttpRequest) -> dict[str, Any]:
    """The JSON object the request carries: within the size limit, parsed and storable.

    An empty body is ``{}`` whatever its type, so an action with nothing to say
    (cancel, retry) needs no body at all.
    """
    limit = max_body_bytes()
    if _declared_size(request) > limit:
        raise _too_large(limit)
    raw = _raw_body(request, limit)
    if not raw.strip():
        return {}
    if request.content_type != "application/json":
        raise _unsupported(request)
    body = _parse(raw)
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    _storable(body)
    return body


def whole_number(request: HttpRequest, name: str, default: int | None) -> int | None:
    """A query parameter that is a whole number (0 or more), or ``default`` when absent."""
    raw = request.GET.get(name)
    if raw is None or raw == "":
        return default
    if not WHOLE_NUMBER.fullmatch(raw) or int(raw) > MAX_EVENT_ID:
        raise InvalidRequest(
            "the query", [{"field": name, "message": "must be a whole number, 0 or more"}]
        )
    return int(raw)


# ---------------------------------------------------------------- the endpoints


def endpoint(*methods: str) -> Callable[[View], View]:
    """Allow these methods (405 otherwise), authenticate, and answer refusals as JSON."""

    def decorate(view: View) -> View:
        @wraps(view)
        def refusals_as_json(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                return view(request, *args, **kwargs)
            except WorkflowError as exc:
                return json_error(exc)

        authenticated = api_view(refusals_as_json)

        @csrf_exempt  # writes are checked in api_view: CSRF for sessions, none for tokens
        @wraps(view)
        def allowed(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method not in methods:
                response = json_error(
                    MethodNotAllowed(f"use {' or '.join(methods)} here", allowed=list(methods))
                )
                response["Allow"] = ", ".join(methods)
                return response
            return authenticated(request, *args, **kwargs)

        return allowed

    return decorate


def visible_run(request: HttpRequest, run_id: uuid.UUID) -> WorkflowRun:
    """The run, if the caller may see it; 404 alike for missing and invisible runs."""
    run = runs_visible_to(request.user).filter(pk=run_id).first()
    if run is None:
        raise NotFound("no such run", run_id=str(run_id))
    return run


def _summary(run: WorkflowRun) -> dict[str, Any]:
    run.refresh_from_db()
    return run_summary(run)


START = {
    "workflow": Field("text", required=True, max_chars=120),
    "input": Field(),
    "idempotency_key": Field("text", max_chars=200),
}


@endpoint("GET", "POST")
def runs(request: HttpRequest) -> JsonResponse:
    """GET: the runs the caller sees, newest first. POST: start a run."""
    if request.method == "GET":
        listed = dashboard_runs(request.user, limit=DASHBOARD_LIMIT)
        return JsonResponse({"runs": [run_summary(run) for run in listed]})
    given = fields_of(body_of(request), START)
    key = given["idempotency_key"] or None
    replayed = key is not None and _started_before(given["workflow"], key)
    run = decisions.start(
        workflow_id=given["workflow"],
        input=given["input"] if given["input"] is not None else {},
        actor=request.user,
        idempotency_key=key,
    )
    if not runs_visible_to(request.user).filter(pk=run.pk).exists():
        raise IdempotencyKeyTaken("another run already uses this idempotency_key; pick another")
    return JsonResponse({"run": _summary(run)}, status=200 if replayed else 201)


def _started_before(workflow_id: str, key: str) -> bool:
    """Whether this start repeats an earlier one (200 with that run rather than 201)."""
    return WorkflowRun.objects.filter(workflow_id=workflow_id, idempotency_key=key).exists()


RESUME = {
    "data": Field("object"),
    "suspension_id": Field("id"),
    "path": Field("text"),
    "label": Field("text"),
    "revision": Field("number"),
    "take_over": Field("boolean"),
}


@endpoint("POST")
def resume(request: HttpRequest, run_id: uuid.UUID) -> JsonResponse:
    """Answer a waiting step: ``data`` plus ``suspension_id``, ``path`` or ``label``.

    A step that shows an editable draft needs the ``revision`` the person
    decided on; a stale one is 409 ``draft_changed`` with the newer text. A
    question someone else claimed needs ``take_over: true`` (409 ``claimed``).
    """
    run = visible_run(request, run_id)
    given = fields_of(body_of(request), RESUME)
    suspension = decisions.decide(
        run_id=run.pk,
        actor=request.user,
        data=given["data"] if given["data"] is not None else {},
        suspension_id=given["suspension_id"],
        path=given["path"],
        label=given["label"],
        revision=given["revision"],
        take_over=bool(given["take_over"]),
    )
    return JsonResponse(
        {
            "suspension_id": str(suspension.pk),
            "path": suspension.path_key,
            "resume_data": suspension.resume_data,
            "run": _summary(run),
        }
    )


CANCEL = {"reason": Field("text", max_chars=4000)}


@endpoint("POST")
def cancel(request: HttpRequest, run_id: uuid.UUID) -> JsonResponse:
    """Stop a run; nothing pending starts, and a waiting step stops waiting."""
    run = visible_run(request, run_id)
    given = fields_of(body_of(request), CANCEL)
    canceled = decisions.cancel(run_id=run.pk, actor=request.user, reason=given["reason"] or "")
    return JsonResponse({"run": _summary(canceled)})


RETRY = {"path": Field("text")}


@endpoint("POST")
def retry(request: HttpRequest, run_id: uuid.UUID) -> JsonResponse:
    """Run a failed step again (the latest failed one, or the one at ``path``)."""
    run = visible_run(request, run_id)
    given = fields_of(body_of(request), RETRY)
    row = decisions.retry(run_id=run.pk, actor=request.user, path=given["path"] or None)
    return JsonResponse({"retried": row.path_key, "run": _summary(run)})


FORK = {"path": Field("text", required=True), "input": Field(), "resume_data": Field()}


@endpoint("POST")
def fork(request: HttpRequest, run_id: uuid.UUID) -> JsonResponse:
    """A new run that starts again at ``path``; the original is left as it was."""
    run = visible_run(request, run_id)
    given = fields_of(body_of(request), FORK)
    forked = decisions.fork(
        run_id=run.pk,
        actor=request.user,
        path=given["path"],
        input=given["input"],
        resume_data=given["resume_data"],
    )
    return JsonResponse({"forked_from": str(run.pk), "run": _summary(forked)}, status=201)


def _draft_json(draft: drafts.Draft) -> dict[str, Any]:
    return {
        "suspension_id": str(draft.suspension.pk),
        "path": draft.suspension.path_key,
        "revision": draft.latest.number,
        "text": draft.latest.text,
        "revisions": [
            {
                "revision": rev.number,
                "author": rev.author,
                "at": rev.created_at.isoformat() if rev.created_at else None,
                "lines_added": rev.lines_added,
                "lines_removed": rev.lines_removed,
            }
            for rev in draft.revisions
        ],
    }


DRAFT_QUERY = {"suspension_id": Field("id"), "path": Field("text")}
DRAFT_EDIT = {
    "text": Field("text", required=True, max_chars=None),  # over the service's limit: 413
    "base_revision": Field("number", required=True),
    "suspension_id": Field("id"),
    "path": Field("text"),
}


@endpoint("GET", "POST")
def run_drafts(request: HttpRequest, run_id: uuid.UUID) -> JsonResponse:
    """GET: the waiting draft and its revisions. POST: save an edit made on ``base_revision``."""
    run = visible_run(request, run_id)
    if request.method == "GET":
        return JsonResponse(_draft_json(_waiting_draft(request, run)))
    given = fields_of(body_of(request), DRAFT_EDIT)
    revision, draft = decisions.save_draft(
        run_id=run.pk,
        actor=request.user,
        text=given["text"],
        base_revision=given["base_revision"],
        suspension_id=given["suspension_id"],
        path=given["path"],
    )
    return JsonResponse(
        {**_draft_json(draft), "saved": revision is not None},
        status=201 if revision is not None else 200,
    )


def _waiting_draft(request: HttpRequest, run: WorkflowRun) -> drafts.Draft:
    query = {name: request.GET.get(name) or None for name in DRAFT_QUERY}
    given = fields_of({k: v for k, v in query.items() if v is not None}, DRAFT_QUERY)
    suspension = engine.open_suspension(
        run.pk, suspension_id=given["suspension_id"], path=given["path"]
    )
    draft = drafts.draft_of(suspension, run.workflow_id)
    if draft is None:
        raise NotFound(f"{suspension.path_key} shows no draft", path=suspension.path_key)
    return draft


@endpoint("GET")
def run_events(request: HttpRequest, run_id: uuid.UUID) -> JsonResponse:
    """``?after=<event id>&limit=<n>``: the events after that id, oldest first."""
    run = visible_run(request, run_id)
    after = whole_number(request, "after", 0) or 0
    limit = whole_number(request, "limit", DEFAULT_LIMIT)
    if limit is None or limit < 1:
        raise InvalidRequest("the query", [{"field": "limit", "message": "must be 1 or more"}])
    limit = min(limit, MAX_LIMIT)
    found = [event.as_dict() for event in engine.events(run.pk, after=after, limit=limit)]
    events = _within_page_bytes(found)
    return JsonResponse(
        {
            "run_id": str(run.pk),
            "status": run.status,
            "events": events,
            "last_event_id": events[-1]["id"] if events else after,
            "run_last_event_id": run.last_event_id,
            "more": len(events) == limit or len(events) < len(found),
        }
    )


def _within_page_bytes(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """As many events as fit in ``HANDOFF_API_PAGE_BYTES`` (at least one): outputs can be large."""
    budget = int(getattr(settings, "HANDOFF_API_PAGE_BYTES", DEFAULT_PAGE_BYTES))
    total = 0
    for count, event in enumerate(events):
        total += messages.encoded_size(messages.dumps(event))
        if count and total > budget:
            return events[:count]
    return events


@endpoint("GET")
def run_event(request: HttpRequest, run_id: uuid.UUID, event_id: int) -> JsonResponse:
    """One event; with ``?pointer=/data/output``, only that value (what a live stream deferred)."""
    run = visible_run(request, run_id)
    if event_id > MAX_EVENT_ID:
        raise NotFound("this run has no such event", run_id=str(run.pk), event_id=event_id)
    event = RunEvent.objects.filter(run=run, pk=event_id).select_related("actor").first()
    if event is None:
        raise NotFound("this run has no such event", run_id=str(run.pk), event_id=event_id)
    return _pointed(request, event.as_dict())


@endpoint("GET")
def run_snapshot(request: HttpRequest, run_id: uuid.UUID) -> JsonResponse:
    """The snapshot now, or ``?as_of=<event id>`` as it was right after that event.

    ``?pointer=/context/draft/output`` answers only that value: a live stream
    sends large values by reference to it (review/live/messages.py).
    """
    run = visible_run(request, run_id)
    as_of = whole_number(request, "as_of", None)
    return _pointed(request, engine.snapshot(run.pk, as_of=as_of))


def _pointed(request: HttpRequest, document: dict[str, Any]) -> JsonResponse:
    """The document, or the value its ``pointer`` query parameter names (RFC 6901)."""
    raw = request.GET.get("pointer")
    if raw is None:
        return JsonResponse(document)
    try:
        value = messages.resolve(document, messages.parse_pointer(raw))
    except ValueError:
        raise InvalidRequest(
            "the query", [{"field": "pointer", "message": "must be a JSON pointer: /a/b/0"}]
        ) from None
    except KeyError:
        raise NotFound(f"nothing at {raw!r}", pointer=raw) from None
    return JsonResponse(value, safe=False)


def unknown_route(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Any other path under /api/ (or a malformed run id): 404 in the API's one error shape.

    Meant as the last route under ``api/`` in review/urls.py, so a program never
    gets Django's HTML "Page not found" from the API.
    """
    return json_error(NotFound(f"no API route {request.path!r}; see docs/api.md"))
