"""The one Markdown rendering of a brief, shared by every writer.

Writers return structured fields; rendering them here (instead of trusting a
model's own Markdown) means every brief a reviewer sees has the same layout,
whoever produced it, and the header always says who that was. Its fixed words are
in the brief's language (``wording.py``).
"""

from __future__ import annotations

from workflows.content_brief.records import BriefDraft
from workflows.content_brief.writers.wording import wording

__all__ = ["render_markdown"]


def _bullets(items: list[str], none_found: str, *, numbered: bool = False) -> list[str]:
    if not items:
        return [none_found]
    return [f"{i}. {item}" if numbered else f"- {item}" for i, item in enumerate(items, 1)]


def render_markdown(draft: BriefDraft) -> str:
    """The brief as Markdown, its fixed words in the brief's language."""
    say = wording(draft.language)
    lines = [
        f"{say.generated_by} {draft.generator}",
        "",
        f"# {say.brief_title}: {draft.target_keyword}",
        "",
        f"- **{say.search_intent}:** {draft.search_intent}",
        f"- **{say.audience}:** {draft.audience}",
        f"- **{say.target_length}:** {say.words(draft.word_count_target)}",
    ]
    if draft.revision_note:
        lines.append(f"- **{say.revision_note}:** {draft.revision_note}")
    lines += ["", f"## {say.outline}", ""]
    if not draft.outline:
        lines.append(say.none_found)
    for section in draft.outline:
        lines.append(f"### {section.heading}")
        lines.extend(f"- {sub}" for sub in section.subheadings)
        lines.append("")
    for title, items, numbered in (
        (say.questions, draft.questions_to_answer, True),
        (say.keywords, draft.keywords_to_include, False),
        (say.competitor_gaps, draft.competitor_gaps, False),
        (say.community_insights, draft.community_insights, False),
        (say.sources, draft.sources, False),
    ):
        lines += ["", f"## {title}", "", *_bullets(items, say.none_found, numbered=numbered)]
    return "\n".join(line.rstrip() for line in lines).replace("\n\n\n", "\n\n").strip() + "\n"
