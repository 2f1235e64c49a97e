"""Display filters for the review pages; output is escaped by the template like any text.

The only filter that marks HTML safe is ``markdown``, whose output is sanitised
by review/markdown.py.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms, template
from django.core.serializers.json import DjangoJSONEncoder
from django.forms.boundfield import BoundField
from django.utils.safestring import SafeString, mark_safe

from review import markdown as markdown_renderer
from review import outcomes

register = template.Library()


@register.filter
def pretty_json(value: Any) -> str:
    """Indented JSON text; AI and user data stays plain text (autoescaped where shown)."""
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, cls=DjangoJSONEncoder)


@register.filter
def seconds(value: float | None) -> str:
    if value is None:
        return ""
    if value < 1:
        return f"{value * 1000:.0f} ms"
    if value < 60:
        return f"{value:.1f} s"
    minutes, rest = divmod(int(value), 60)
    return f"{minutes} min {rest} s"


@register.filter
def progress(run: Any) -> Any:
    from review.selectors import run_progress

    return run_progress(run)


@register.filter
def outcome(run: Any) -> outcomes.Outcome:
    return outcomes.outcome(run)


@register.filter
def subject(run: Any) -> str:
    return outcomes.subject(run)


@register.filter
def download(run: Any) -> Any:
    return outcomes.download(run)


@register.filter
def duration(seconds: float) -> str:
    from review.charts import duration as readable

    return readable(seconds)


@register.filter
def get_count(counts: dict[str, int], key: str) -> int:
    return int(counts.get(key, 0))


@register.filter
def markdown(text: str) -> SafeString:
    return mark_safe(markdown_renderer.render(str(text or "")))


@register.filter
def humanize(name: Any) -> str:
    text = str(name).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


@register.filter
def is_radio(field: BoundField) -> bool:
    return isinstance(field.field.widget, forms.RadioSelect)


@register.filter
def is_checkbox(field: BoundField) -> bool:
    return isinstance(field.field.widget, forms.CheckboxInput)


@register.filter
def choice_help(field: BoundField, value: Any) -> str:
    helps: dict[str, str] = getattr(field.field, "choice_help", {})
    return helps.get(str(value), "")


@register.filter
def describe(field: BoundField) -> str:
    """The widget, pointing at its help text and errors for screen readers."""
    described = []
    if field.help_text:
        described.append(f"{field.auto_id}_help")
    if field.errors:
        described.append(f"{field.auto_id}_errors")
    attrs: dict[str, str | bool] = {"aria-describedby": " ".join(described)} if described else {}
    if field.errors:
        attrs["aria-invalid"] = "true"
    return field.as_widget(attrs=attrs)


@register.filter
def payload_items(payload: Any) -> list[tuple[str, Any]]:
    if isinstance(payload, dict):
        return [(str(key), value) for key, value in payload.items() if key != "problem"]
    return [("value", payload)]


@register.filter
def is_text(value: Any) -> bool:
    return isinstance(value, str | int | float) and not isinstance(value, bool)


@register.filter
def is_text_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(entry, str) for entry in value)


@register.filter
def diff_lines(diff: str) -> list[tuple[str, str]]:
    kinds = {"+": "add", "-": "remove", "@": "hunk"}
    lines = []
    for line in diff.splitlines():
        kind = "meta" if line.startswith(("+++", "---")) else kinds.get(line[:1], "same")
        lines.append((kind, line))
    return lines
