"""One exception per refusal, each carrying the HTTP status and the code it maps to.

Views, the JSON API and management commands translate these once; the message
is written for the person who has to act on it.
"""

from __future__ import annotations

from typing import Any


class WorkflowError(Exception):
    """Base of every refusal the engine makes."""

    http_status = 400
    code = "workflow_error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def as_dict(self) -> dict[str, Any]:
        return {"error": self.code, "message": self.message, **self.details}


class DefinitionError(WorkflowError):
    """A workflow definition cannot be committed (raised at import time, by ``commit()``)."""

    code = "invalid_definition"


class SchemaMismatch(WorkflowError):
    """Data did not match a schema; ``errors`` lists each field and what is wrong with it."""

    code = "schema_mismatch"

    def __init__(self, what: str, errors: list[dict[str, str]]) -> None:
        listed = "; ".join(
            e["message"] if e["field"] == "(root)" else f"{e['field']}: {e['message']}"
            for e in errors
        )
        super().__init__(f"{what} is invalid: {listed}", errors=errors)
        self.errors = errors


class InvalidInput(SchemaMismatch):
    code = "invalid_input"


class InvalidResumeData(SchemaMismatch):
    code = "invalid_resume_data"


class InvalidData(SchemaMismatch):
    """Data a step or an application records (emitted events, outputs) cannot be stored."""

    code = "invalid_data"
    retryable = False  # the same data would be refused again


class InvalidArgument(SchemaMismatch):
    """An argument of a run API call has the wrong type or value; ``errors`` names it."""

    code = "invalid_argument"

    def __init__(self, argument: str, message: str) -> None:
        super().__init__("the call", [{"field": argument, "message": message}])


class PayloadTooLarge(WorkflowError):
    """Data over its configured size limit (workflows/engine/limits.py)."""

    http_status = 413
    code = "too_large"
    retryable = False


class NotFound(WorkflowError):
    http_status = 404
    code = "not_found"


class WorkflowNotFound(NotFound):
    code = "workflow_not_found"


class RunNotFound(NotFound):
    code = "run_not_found"


class Conflict(WorkflowError):
    """The request is valid but the run is not in a state that allows it."""

    http_status = 409
    code = "conflict"


class StepNotSuspended(Conflict):
    code = "step_not_suspended"


class StaleSuspension(Conflict):
    code = "stale_suspension"


class AmbiguousResume(Conflict):
    code = "ambiguous_resume"


class RunNotActive(Conflict):
    code = "run_not_active"


class StepNotRetryable(Conflict):
    code = "step_not_retryable"


class DefinitionChanged(Conflict):
    """The run's step no longer exists in the deployed definition."""

    code = "definition_changed"
