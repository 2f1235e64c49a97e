"""Markdown to safe HTML, for drafts written by an AI or edited by people.

The text is untrusted: markdown-it-py parses it with raw HTML disabled, and
nh3 (the Ammonia sanitiser) cleans what comes out, so neither a model nor an
editor can put script, styles or event handlers on a reviewer's page. Links
open nothing by themselves and carry ``rel="noopener noreferrer nofollow"``.
"""

from __future__ import annotations

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = {
    "a", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6",
    "hr", "li", "ol", "p", "pre", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"align"}, "td": {"align"}}


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def render(text: str) -> str:
    """Sanitised HTML for ``text``; safe to mark safe in a template."""
    html = _parser().render(text or "")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
