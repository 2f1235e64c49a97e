"""The review product's own refusals, alongside the engine's (workflows.engine.errors).

Each is a ``WorkflowError``, so pages, htmx responses and the JSON API map all
refusals in one place (review/responses.py) to a status and ``{code, message}``.
"""

from __future__ import annotations

from workflows.engine.errors import Conflict, WorkflowError


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


class TooLarge(WorkflowError):
    http_status = 413
    code = "too_large"
