"""Django forms generated from a step's resume schema (a Pydantic model).

A workflow added tomorrow gets a working form with no template work: each
field of the resume model becomes a form field (choices for ``Literal`` and
enums, a checkbox for booleans, numbers, text or long text, one item per line
for lists, JSON for anything nested). A workflow's :class:`StepForm` may give
a field its choices from what the step showed, draw an action field as
buttons, or hide fields. The form only shapes the data; the engine validates
it against the schema, and its errors are put back on the fields here.
"""

from __future__ import annotations

import enum
import re
import types
from typing import Any, Literal, Union, get_args, get_origin

from annotated_types import Ge, Le, MaxLen
from django import forms
from pydantic import BaseModel, Field, create_model
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from workflows.presentation import StepForm

LONG_TEXT = 300  # characters; longer (or unbounded) text gets a textarea
ROOT = "(root)"
NAMED_FIELD = re.compile(r"\((?P<field>[a-z_][a-z0-9_]*)\)\s*$")


ANSWER = "answer"


def as_model(schema: Any, *, label: str) -> tuple[type[BaseModel], bool]:
    """A schema as a model whose fields make the form; other types become one field.

    Returns the model and whether it wraps the schema (then the data to send
    is that one field's value, not the whole form).
    """
    if isinstance(schema, type) and issubclass(schema, BaseModel):
        return schema, False
    annotation: Any = Any if schema is None else schema
    fields: dict[str, Any] = {ANSWER: (annotation, Field(title=label))}
    return create_model("Answer", **fields), True


def _unwrap_optional(annotation: Any) -> tuple[Any, bool]:
    if get_origin(annotation) in (Union, types.UnionType):
        args = [arg for arg in get_args(annotation) if arg is not type(None)]
        if len(args) == 1:
            return args[0], True
    return annotation, False


def _metadata(info: FieldInfo, kind: type) -> Any:
    return next((item for item in info.metadata if isinstance(item, kind)), None)


def label_of(name: str, info: FieldInfo) -> str:
    return info.title or name.replace("_", " ").capitalize()


def _literal_choices(annotation: Any) -> list[tuple[str, str]] | None:
    if get_origin(annotation) is Literal:
        return [(str(v), str(v).replace("_", " ").capitalize()) for v in get_args(annotation)]
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return [(str(m.value), str(getattr(m, "label", m.name)).capitalize()) for m in annotation]
    return None


def _text_field(name: str, info: FieldInfo, common: dict[str, Any]) -> forms.Field:
    max_length = getattr(_metadata(info, MaxLen), "max_length", None)
    widget: forms.Widget
    if name == "url" or name.endswith("_url"):
        widget = forms.URLInput()  # an address is one line, however long it may be
    elif max_length is None or max_length > LONG_TEXT:
        widget = forms.Textarea(attrs={"rows": 4})
    else:
        widget = forms.TextInput()
    return forms.CharField(max_length=max_length, strip=True, widget=widget, **common)


def _number_field(annotation: Any, info: FieldInfo, common: dict[str, Any]) -> forms.Field:
    ge, le = _metadata(info, Ge), _metadata(info, Le)
    bounds: dict[str, Any] = {
        "min_value": ge.ge if ge is not None else None,
        "max_value": le.le if le is not None else None,
    }
    if annotation is int:
        return forms.IntegerField(**bounds, **common)
    return forms.FloatField(**bounds, **common)


def form_field(
    name: str, info: FieldInfo, *, choices: list[tuple[str, str, str]] | None = None
) -> forms.Field:
    """The form field for one schema field; ``choices`` come from the step's payload."""
    annotation, optional = _unwrap_optional(info.annotation)
    has_default = info.default is not PydanticUndefined or info.default_factory is not None
    common: dict[str, Any] = {
        "label": label_of(name, info),
        "help_text": info.description or "",
        "required": not (optional or has_default),
    }
    default = info.default.value if isinstance(info.default, enum.Enum) else info.default
    if isinstance(default, str | int | float | bool) and default != "":
        common["initial"] = default  # the form shows what leaving it alone would send
    if choices is not None:
        field = forms.ChoiceField(
            choices=[(value, label) for value, label, _ in choices],
            widget=forms.RadioSelect,
            **{**common, "help_text": ""},  # each choice carries its own help
        )
        field.choice_help = {value: help for value, _, help in choices}  # type: ignore[attr-defined]
        return field
    literal = _literal_choices(annotation)
    if literal is not None:
        widget = forms.RadioSelect if len(literal) <= 5 else forms.Select
        return forms.ChoiceField(choices=literal, widget=widget, **common)
    if annotation is bool:
        return forms.BooleanField(**{**common, "required": False})
    if annotation in (int, float):
        return _number_field(annotation, info, common)
    if annotation is str:
        return _text_field(name, info, common)
    if get_origin(annotation) is list and get_args(annotation) == (str,):
        return forms.CharField(
            widget=forms.Textarea(attrs={"rows": 4}),
            **{**common, "help_text": (common["help_text"] + " One per line.").strip()},
        )
    return forms.JSONField(widget=forms.Textarea(attrs={"rows": 6}), **common)


def build_form_class(schema: type[BaseModel], spec: StepForm, payload: Any) -> type[forms.Form]:
    fields: dict[str, forms.Field] = {}
    for name, info in schema.model_fields.items():
        if name in spec.exclude or name == spec.actions:
            continue
        options = spec.choices.get(name)
        fields[name] = form_field(name, info, choices=options(payload) if options else None)
    return type(f"{schema.__name__}Form", (forms.Form,), fields)


def action_choices(schema: type[BaseModel], spec: StepForm) -> list[tuple[str, str]]:
    """The buttons of an action field: its values, labelled by the workflow or by value."""
    if spec.actions is None or spec.actions not in schema.model_fields:
        return []
    annotation, _ = _unwrap_optional(schema.model_fields[spec.actions].annotation)
    values = [value for value, _ in _literal_choices(annotation) or []]
    return [
        (value, spec.action_labels.get(value, value.replace("_", " ").capitalize()))
        for value in values
    ]


def resume_data(form: forms.Form, schema: type[BaseModel]) -> dict[str, Any]:
    """The cleaned form as resume data: empty optional fields are left to the schema."""
    data: dict[str, Any] = {}
    for name, value in form.cleaned_data.items():
        info = schema.model_fields[name]
        annotation, _ = _unwrap_optional(info.annotation)
        field = form.fields[name]
        if value in (None, "") and not field.required:
            continue
        if isinstance(field, forms.ChoiceField) and annotation is int:
            value = int(value)
        elif get_origin(annotation) is list and get_args(annotation) == (str,):
            value = [line.strip() for line in str(value).splitlines() if line.strip()]
        data[name] = value
    return data


def message_of(raw: str) -> str:
    return raw[:1].upper() + raw[1:]


def add_schema_errors(form: forms.Form, errors: list[dict[str, str]]) -> None:
    """Put the engine's schema errors on the fields they concern, else above the form.

    A model-level rule that names a field in parentheses at the end of its
    message ("say what should change (feedback)") is shown on that field.
    """
    for error in errors:
        field = error.get("field", ROOT).split(".", 1)[0]
        message = message_of(error.get("message", "invalid"))
        if field == ROOT and (named := NAMED_FIELD.search(message)):
            field = named["field"]
        form.add_error(field if field in form.fields else None, message)
