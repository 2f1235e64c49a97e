"""Forms generated from resume schemas: field kinds, labels, choices, and errors put back."""

from __future__ import annotations

from enum import Enum
from typing import Literal

from django import forms
from django.template import Context, Template
from pydantic import BaseModel, Field

from review.schema_forms import (
    action_choices,
    add_schema_errors,
    build_form_class,
    resume_data,
)
from workflows.presentation import StepForm


class Size(Enum):
    SMALL = "small"
    LARGE = "large"


class Inner(BaseModel):
    a: int


class Answer(BaseModel):
    verdict: Literal["yes", "no"]
    size: Size = Size.SMALL
    urgent: bool = False
    count: int = Field(default=1, ge=1, le=9, title="How many")
    ratio: float = 0.5
    title: str = Field(default="", max_length=80, description="A short title.")
    notes: str = ""
    tags: list[str] = Field(default_factory=list)
    extra: Inner | None = None
    pick: int | None = None


PLAIN = StepForm()


def form_for(spec: StepForm = PLAIN, data: dict | None = None) -> forms.Form:
    return build_form_class(Answer, spec, {"options": ["red", "blue"]})(data)


def test_each_schema_type_gets_a_fitting_field() -> None:
    fields = form_for().fields
    assert isinstance(fields["verdict"].widget, forms.RadioSelect)
    assert fields["verdict"].required and fields["verdict"].choices == [
        ("yes", "Yes"),
        ("no", "No"),
    ]
    assert [value for value, _ in fields["size"].choices] == ["small", "large"]
    assert isinstance(fields["urgent"], forms.BooleanField) and not fields["urgent"].required
    assert isinstance(fields["count"], forms.IntegerField)
    assert (fields["count"].min_value, fields["count"].max_value) == (1, 9)
    assert fields["count"].label == "How many"
    assert isinstance(fields["ratio"], forms.FloatField)
    assert isinstance(fields["title"].widget, forms.TextInput) and fields["title"].max_length == 80
    assert fields["title"].help_text == "A short title."
    assert isinstance(fields["notes"].widget, forms.Textarea)
    assert "One per line." in fields["tags"].help_text
    assert isinstance(fields["extra"], forms.JSONField) and not fields["extra"].required


def test_a_field_with_a_default_shows_it() -> None:
    """Leaving a field alone sends its default, so the form shows that value from the start."""
    fields = form_for().fields
    initial = {name: field.initial for name, field in fields.items()}
    assert initial["size"] == "small" and initial["count"] == 1 and initial["ratio"] == 0.5
    assert initial["urgent"] is False
    assert initial["verdict"] is None and initial["title"] is None  # no default, or an empty one
    html = str(form_for()["size"])
    assert 'value="small" id="id_size_0" checked' in html


def test_choices_can_come_from_what_the_step_showed() -> None:
    spec = StepForm(
        choices={
            "pick": lambda payload: [(str(i), c, "") for i, c in enumerate(payload["options"])]
        }
    )
    form = form_for(spec, {"verdict": "yes", "pick": "1"})
    assert form.fields["pick"].choices == [("0", "red"), ("1", "blue")]
    assert form.is_valid(), form.errors
    assert resume_data(form, Answer)["pick"] == 1


def test_actions_are_buttons_and_hidden_fields_are_left_out() -> None:
    spec = StepForm(actions="verdict", action_labels={"yes": "Approve"}, exclude=("extra",))
    form = form_for(spec)
    assert "verdict" not in form.fields and "extra" not in form.fields
    assert action_choices(Answer, spec) == [("yes", "Approve"), ("no", "No")]


def test_the_cleaned_form_becomes_resume_data_and_empty_optionals_stay_default() -> None:
    form = form_for(data={"verdict": "no", "tags": "a\n\n b \n", "count": "3", "notes": ""})
    assert form.is_valid(), form.errors
    assert resume_data(form, Answer) == {
        "verdict": "no",
        "urgent": False,
        "count": 3,
        "tags": ["a", "b"],
    }
    assert Answer.model_validate(resume_data(form, Answer)).size is Size.SMALL


def test_schema_errors_land_on_their_fields_or_above_the_form() -> None:
    form = form_for(data={"verdict": "yes"})
    assert form.is_valid()
    add_schema_errors(
        form,
        [
            {"field": "count", "message": "Input should be less than 10"},
            {"field": "(root)", "message": "say what should change (notes)"},
            {"field": "(root)", "message": "pick one"},
        ],
    )
    assert form.errors["count"] == ["Input should be less than 10"]
    assert form.errors["notes"] == ["Say what should change (notes)"]
    assert form.non_field_errors() == ["Pick one"]


def test_a_template_reading_a_missing_variable_fails() -> None:
    import pytest

    with pytest.raises(Exception, match="no_such_thing"):
        Template("{{ run.no_such_thing }}").render(Context({"run": object()}))
    with pytest.raises(Exception, match="no_such_thing"):
        Template("{% if run.no_such_thing %}x{% endif %}").render(Context({"run": object()}))


def test_an_address_field_is_one_line_however_long() -> None:
    class Page(BaseModel):
        url: str = Field(max_length=2000)
        source_url: str = ""

    fields = build_form_class(Page, PLAIN, None)().fields
    assert isinstance(fields["url"].widget, forms.URLInput)
    assert isinstance(fields["source_url"].widget, forms.URLInput)
