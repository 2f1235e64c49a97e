"""The review product's own refusals, alongside the engine's (workflows.engine.errors).

Each is a ``WorkflowError``, so pages, htmx responses and the JSON API map all
refusals in one place (review/responses.py) to a status and ``{code, message}``.
As in the engine, a refusal is a class of its own that names its status and
its code: callers catch it by name, and programs switch on the code
(docs/api.md lists them).
"""

from __future__ import annotations

from workflows.engine.errors import Conflict, PayloadTooLarge, SchemaMismatch, WorkflowError


class Forbidden(WorkflowError):
    http_status = 403
    code = "forbidden"


class DraftChanged(Conflict):
    """The draft was edited after the revision the person saw; carries the newer text."""

    code = "draft_changed"


class RevisionRequired(WorkflowError):
    code = "revision_required"


class NoDraft(Conflict):
    code = "no_draft"


class TooLarge(PayloadTooLarge):
    """A request body or a draft over its configured limit: 413 ``too_large``, as the engine's."""


# ---------------------------------------------------------------- the JSON API's request checks


class BadRequest(WorkflowError):
    code = "bad_request"


class InvalidRequest(SchemaMismatch):
    """A field of the request itself (not the run's input or resume data) is wrong."""

    code = "invalid_request"


class MethodNotAllowed(WorkflowError):
    http_status = 405
    code = "method_not_allowed"


class UnsupportedMediaType(WorkflowError):
    http_status = 415
    code = "unsupported_media_type"


class IdempotencyKeyTaken(Conflict):
    code = "idempotency_key_taken"
