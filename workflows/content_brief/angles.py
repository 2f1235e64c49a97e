"""Suggest editorial angles from the research, for the reviewer to choose from.

Rules, not a model: each angle is grounded in one kind of evidence (what the
page ranks for, what competitors cover that it does not, what readers struggle
with), and says which evidence, so the reviewer can judge it at a glance.
"""

from __future__ import annotations

from workflows.content_brief.records import PageOutline
from workflows.content_brief.research.language import language_name
from workflows.content_brief.step_schemas import AngleOption, AngleProposal, Research
from workflows.content_brief.text import (
    as_sentence,
    is_stopword,
    normalise_words,
    phrase_chunks,
    term_key,
)

MAX_KEYWORDS = 8


def propose(outline: PageOutline, research: Research) -> AngleProposal:
    keywords = [k.phrase for k in research.keywords.keywords[:MAX_KEYWORDS]]
    subject = _title_subject(outline)
    lead = lead_keyword(research, subject) or subject or "this topic"
    angles = [
        AngleOption(
            title=f"The definitive guide: {subject or lead}",
            target_keyword=lead,
            rationale=f"\u201c{lead}\u201d is the page's strongest keyword that matches its title; "
            f"{_coverage(research)} of its top keywords appear in its headings.",
        )
    ]
    gaps = research.search.competitor_gaps
    if gaps:
        angles.append(
            AngleOption(
                title=f"What other guides miss: {', '.join(gaps[:2])}",
                target_keyword=lead,
                rationale=f"Competing pages cover {', '.join(gaps[:3])}; this page does not.",
            )
        )
    pains = research.community.insights.pain_points
    questions = research.community.insights.questions
    if pains or questions:
        evidence = (pains or questions)[0]
        said = "struggle with" if pains else "ask about"
        angles.append(
            AngleOption(
                title=f"Solve what readers struggle with: {_clip(evidence, 70).rstrip('.')}",
                target_keyword=lead,
                rationale=as_sentence(
                    f"Readers in discussions {said} this, e.g. \u201c{_clip(evidence)}\u201d"
                ),
            )
        )
    return AngleProposal(
        url=outline.url,
        page_title=outline.title,
        summary=_summary(outline, research),
        suggested_keywords=keywords,
        angles=angles,
        language=outline.language,
        language_name=language_name(outline.language),
        language_source=outline.language_source,
        published=outline.published,
        canonical_url=outline.canonical_url,
        word_count=outline.word_count,
    )


def lead_keyword(research: Research, subject: str) -> str:
    """The best-ranked phrase of two or more words sharing most words with the title.

    A single top word ("smell") makes a poor target; the title says what the page
    is about, so the phrase that overlaps it most, ranked by YAKE, is the subject.
    """
    title_terms = {term_key(word) for word in normalise_words(subject)}
    best, best_overlap = "", 0
    for keyword in research.keywords.keywords[:10]:
        words = normalise_words(keyword.phrase)
        overlap = len({term_key(word) for word in words} & title_terms)
        if len(words) >= 2 and overlap > best_overlap:
            best, best_overlap = keyword.phrase, overlap
    if best:
        return best
    return research.keywords.keywords[0].phrase if research.keywords.keywords else ""


def keyword_for_angle(research: Research, angle: str) -> str:
    """The best-ranked research phrase sharing the most words with a reviewer's own angle.

    A reviewer who writes their own angle should not have to invent a keyword too;
    the page's keywords are already ranked, so the one closest to the angle's words
    is the natural target. Stopwords do not count, so "in a" never makes a match.
    Returns "" when no phrase shares a word with the angle.
    """
    language = research.keywords.language
    angle_terms = _content_terms(angle, language)
    best, best_overlap = "", 0
    for keyword in research.keywords.keywords:
        overlap = len(_content_terms(keyword.phrase, language) & angle_terms)
        if overlap > best_overlap:
            best, best_overlap = keyword.phrase, overlap
    return best


def _content_terms(text: str, language: str) -> set[str]:
    words = (word for chunk in phrase_chunks(text) for word in chunk)
    return {term_key(word) for word in words if not is_stopword(word, language)}


def _title_subject(outline: PageOutline) -> str:
    """The title without its site name ("How to X | Site" -> "How to X")."""
    for separator in (" | ", " \u2013 ", " \u2014 ", " - "):
        if separator in outline.title:
            return outline.title.split(separator)[0].strip()
    return outline.title.strip()


def _summary(outline: PageOutline, research: Research) -> list[str]:
    lines = [
        f"The page has {outline.word_count} words and {len(outline.heading_texts())} headings.",
        f"{len(research.keywords.keywords)} keywords found; {_coverage(research)} of the top ones "
        "appear in a heading.",
        f"{len(research.search.results)} search results for \u201c{research.search.query}\u201d; "
        f"{len(research.search.competitor_gaps)} topics competitors cover that the page does not.",
        f"{len(research.community.threads)} discussion threads: "
        f"{len(research.community.insights.questions)} questions, "
        f"{len(research.community.insights.pain_points)} pain points.",
    ]
    if research.keywords.missing_from_headings:
        lines.append(
            "Top keywords missing from headings: "
            + ", ".join(research.keywords.missing_from_headings[:5])
            + "."
        )
    return lines


def _coverage(research: Research) -> str:
    return f"{round(research.keywords.heading_coverage * 100)}%"


def _clip(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"
