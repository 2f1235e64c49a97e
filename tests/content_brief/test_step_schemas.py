"""What people may send the content-brief workflow, and what the forms call each field."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from workflows.content_brief.records import BriefDraft
from workflows.content_brief.step_schemas import AngleChoice, BriefInput, ReviewDecision

DRAFT = BriefDraft(
    target_keyword="composting at home",
    search_intent="Informational",
    audience="Beginners",
    word_count_target=1200,
    generator="unit test",
)


def titles(model: type[BaseModel]) -> dict[str, str]:
    return {name: field.title or "" for name, field in model.model_fields.items() if field.title}


def refusal(model: type[BaseModel], data: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data)
    return str(caught.value)


def test_human_facing_fields_carry_the_form_labels() -> None:
    assert titles(BriefInput) == {"url": "URL", "topic": "Topic"}
    assert titles(AngleChoice) == {
        "option": "Angle",
        "custom_angle": "Custom angle",
        "target_keyword": "Target keyword",
        "note": "Note",
    }
    assert titles(ReviewDecision) == {"feedback": "Feedback", "reason": "Reason"}
    schema = ReviewDecision.model_json_schema()["properties"]
    assert schema["feedback"]["title"] == "Feedback"
    assert schema["feedback"]["maxLength"] == 4000


@pytest.mark.parametrize(
    ("model", "data", "field"),
    [
        (BriefInput, {"url": "https://example.com/" + "a" * 2000}, "url"),
        (BriefInput, {"url": "https://example.com/", "topic": "t" * 301}, "topic"),
        (AngleChoice, {"custom_angle": "c" * 301}, "custom_angle"),
        (AngleChoice, {"option": 0, "target_keyword": "k" * 201}, "target_keyword"),
        (AngleChoice, {"option": 0, "note": "n" * 4001}, "note"),
        (ReviewDecision, {"decision": "request_changes", "feedback": "f" * 4001}, "feedback"),
        (ReviewDecision, {"decision": "reject", "reason": "r" * 4001}, "reason"),
        (ReviewDecision, {"decision": "approve", "edited_markdown": "m" * 200_001}, "edited"),
    ],
)
def test_oversized_text_is_refused_by_the_schema(
    model: type[BaseModel], data: dict[str, Any], field: str
) -> None:
    message = refusal(model, data)
    assert field in message and "at most" in message


def test_text_at_the_limit_is_accepted() -> None:
    assert ReviewDecision(decision="request_changes", feedback="f" * 4000).feedback
    assert AngleChoice(custom_angle="c" * 300).custom_angle
    assert ReviewDecision(decision="approve", edited_markdown="m" * 200_000).edited_markdown


def test_edited_markdown_goes_with_approval_and_with_a_request_for_changes() -> None:
    approve = ReviewDecision(decision="approve", edited_markdown="# Brief\n")
    assert approve.edited_markdown == "# Brief\n"
    changes = ReviewDecision(
        decision="request_changes", feedback="shorter", edited_markdown="# Brief\nMine\n"
    )
    assert changes.edited_markdown == "# Brief\nMine\n"


def test_edited_markdown_with_a_rejection_is_refused() -> None:
    message = refusal(
        ReviewDecision, {"decision": "reject", "reason": "off topic", "edited_markdown": "x"}
    )
    assert "a rejected brief keeps no edits" in message


def test_an_edited_draft_is_still_for_approval_only() -> None:
    assert ReviewDecision(decision="approve", edited_draft=DRAFT).edited_draft == DRAFT
    data = {"decision": "request_changes", "feedback": "more", "edited_draft": DRAFT}
    assert "send it with decision=approve" in refusal(ReviewDecision, data)


def test_browser_line_endings_are_read_as_plain_newlines() -> None:
    decision = ReviewDecision(decision="approve", edited_markdown="# Brief\r\n\r\n- a\r- b")
    assert decision.edited_markdown == "# Brief\n\n- a\n- b"


@pytest.mark.parametrize("text", ["", " \r\n\t"])
def test_a_blank_edited_text_is_refused(text: str) -> None:
    message = refusal(ReviewDecision, {"decision": "approve", "edited_markdown": text})
    assert "must not be empty" in message


def test_decisions_still_need_their_explanation() -> None:
    assert "say what should change" in refusal(ReviewDecision, {"decision": "request_changes"})
    assert "say why the brief is rejected" in refusal(ReviewDecision, {"decision": "reject"})


def test_a_custom_angle_may_leave_the_keyword_to_the_workflow() -> None:
    choice = AngleChoice(custom_angle="Composting in a flat")
    assert choice.target_keyword == ""
    assert "not both" in refusal(AngleChoice, {"option": 1, "custom_angle": "Mine"})
    assert "choose a suggested angle" in refusal(AngleChoice, {})
