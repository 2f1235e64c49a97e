"""Schema errors read as their author wrote them, for the person who has to fix the data."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ValidationError, field_validator, model_validator

from workflows.engine.errors import InvalidResumeData
from workflows.engine.schemas import field_errors


class Review(BaseModel):
    decision: str
    feedback: str = ""
    count: int = 0

    @field_validator("count")
    @classmethod
    def small(cls, value: int) -> int:
        if value >= 10:
            raise ValueError("at most 9")
        return value

    @model_validator(mode="after")
    def feedback_with_changes(self) -> Review:
        if self.decision == "request_changes" and not self.feedback:
            raise ValueError("say what should change (feedback)")
        return self


def errors_of(data: dict[str, object]) -> list[dict[str, str]]:
    with pytest.raises(ValidationError) as caught:
        Review.model_validate(data)
    return field_errors(caught.value)


def test_a_validator_s_own_message_comes_without_pydantic_s_prefix() -> None:
    assert errors_of({"decision": "request_changes"}) == [
        {"field": "(root)", "message": "say what should change (feedback)"}
    ]
    assert errors_of({"decision": "approve", "count": 12}) == [
        {"field": "count", "message": "at most 9"}
    ]


def test_pydantic_s_own_messages_are_kept_whole() -> None:
    assert errors_of({}) == [{"field": "decision", "message": "Field required"}]


def test_the_refusal_names_fields_but_not_the_root() -> None:
    errors = errors_of({"decision": "approve", "count": 12})
    errors += errors_of({"decision": "request_changes"})
    refused = InvalidResumeData("resume data for 'review'", errors)
    assert refused.message == (
        "resume data for 'review' is invalid: count: at most 9; say what should change (feedback)"
    )
