"""Helpers for the engine's admin: fast counts, a readable step graph, the resume form.

Kept apart from workflows/admin.py so the ModelAdmin classes stay short.
"""

from __future__ import annotations

import json
from functools import cached_property
from typing import Any

from django import forms
from django.core.paginator import Paginator
from django.db import connection
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

ESTIMATE_ABOVE = 10_000  # rows; below this an exact COUNT is cheap anyway


class EstimatedCountPaginator(Paginator[Any]):
    """An unfiltered list on PostgreSQL counts from the planner's estimate, not COUNT(*).

    COUNT(*) reads the whole table on PostgreSQL; for a large, unfiltered admin
    list the statistics' row estimate is close enough for a page count. Filtered
    lists, small tables and SQLite keep the exact count.
    """

    @cached_property
    def count(self) -> int:
        query = getattr(self.object_list, "query", None)
        if connection.vendor == "postgresql" and query is not None and not query.where:
            table = query.model._meta.db_table
            with connection.cursor() as cursor:
                cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = %s", [table])
                row = cursor.fetchone()
            if row and row[0] and row[0] > ESTIMATE_ABOVE:
                return int(row[0])
        return super().count


def graph_html(graph: dict[str, Any]) -> SafeString:
    """The run's step graph as a nested list: each node's id and kind, children indented."""

    def nodes(items: list[dict[str, Any]]) -> SafeString:
        return format_html(
            "<ul class='step-graph'>{}</ul>",
            format_html_join("", "<li>{}</li>", ((node_html(item),) for item in items)),
        )

    def node_html(node: dict[str, Any]) -> SafeString:
        children: list[dict[str, Any]] = [
            *node.get("nodes", []),
            *node.get("branches", []),
            *[case["node"] for case in node.get("cases", [])],
            *([node["body"]] if "body" in node else []),
        ]
        head = format_html(
            "<strong>{}</strong> <code>{}</code>", node.get("id", "?"), node.get("kind", "")
        )
        return format_html("{}{}", head, nodes(children)) if children else head

    return nodes(graph.get("nodes", []))


def pretty_json(value: Any) -> SafeString:
    return format_html(
        "<pre class='json'>{}</pre>", json.dumps(value, indent=2, ensure_ascii=False, default=str)
    )


class ResumeForm(forms.Form):
    """Answer one waiting step with JSON, validated by the engine against its resume schema."""

    question = forms.ChoiceField(label="Waiting step")
    answer = forms.JSONField(
        label="Answer (JSON)",
        initial=dict,
        widget=forms.Textarea(attrs={"rows": 10, "cols": 80}),
        help_text="Checked against the step's resume schema; errors are shown here.",
    )

    def __init__(self, *args: Any, questions: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        question = self.fields["question"]
        assert isinstance(question, forms.ChoiceField)
        question.choices = questions
