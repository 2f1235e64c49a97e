"""A rule-based brief writer, so the pipeline runs end to end with no model and no key.

It is deterministic - the same research and feedback always give the same
brief - which makes it usable in tests and demos, and it is honest about what it
is: ``generator`` and the first line of the Markdown both say no LLM wrote it.
Feedback handling is a handful of recognisable instructions ("add a section on
X", "remove X", "shorter", "answer whether X"), not understanding; anything it
cannot act on is kept verbatim in ``revision_note`` for the human writer.

A revision edits the previous draft's Markdown text, not a fresh rendering of its
fields: editors may have changed that text while it waited for review, and every
line they wrote stays unless the feedback removes it. The structured fields are
updated alongside, so the draft's data still says what changed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from workflows.content_brief.records import BriefDraft, BriefRequest, OutlineSection
from workflows.content_brief.text import as_sentence, normalise_words, phrase_in
from workflows.content_brief.writers.brief_text import BriefText
from workflows.content_brief.writers.markdown import render_markdown
from workflows.content_brief.writers.wording import ENGLISH, WORDINGS, Wording, wording

__all__ = ["OFFLINE_GENERATOR", "OfflineBriefWriter", "stream_chunks"]

OFFLINE_GENERATOR = "Offline template generator (rule-based, not an LLM)"
OFFLINE_MARKER = ENGLISH.offline_marker
OFFLINE_NOTICE = ENGLISH.offline_notice
OFFLINE_MARKERS = tuple(w.offline_marker for w in WORDINGS.values())
"""Every language's notice marker: a revision in one language drops a notice in another."""
MIN_WORDS, MAX_WORDS = 300, 5000

_SHORTER = re.compile(r"\b(shorter|more concise|too long|trim|tighten|less detail)\b", re.I)
_LONGER = re.compile(
    r"\b(longer|more detail(?:ed)?|more depth|in-depth|too short|expand|more thorough)\b", re.I
)
_REMOVE = re.compile(
    r"\b(?:remove|drop|delete|skip|leave out|get rid of)\s+(?:the\s+)?"
    r"(?:(?:section|part|heading|bit)\s+(?:on|about)\s+)?(?P<topic>.+)",
    re.I,
)
_ANSWER = re.compile(r"\banswer\s+(?:the\s+question\s+)?(?P<topic>.+)", re.I)
_ADD = re.compile(
    r"\b(?:add|cover|include|mention|discuss|explain|address|talk about|say more about"
    r"|more on|more about|what about|how about)\s+(?:an?\s+|the\s+|some\s+)?"
    r"(?:(?:new\s+|extra\s+)?(?:section|part|paragraph|bit|note|heading|h2)\s+)?"
    r"(?:on|about|for|covering|explaining|that covers)?\s*(?P<topic>.+)",
    re.I,
)
_QUESTION_WORD = re.compile(
    r"^(how|what|why|when|where|which|who|is|are|can|should|do|does)\b", re.I
)
_TRAILING = re.compile(r"\s+(?:too|as well|also|please|section|to the brief|in the brief)$", re.I)
_VERBS = (
    r"(?:add|cover|include|mention|discuss|explain|address|answer|remove|drop|delete|skip|make)"
)
_CLAUSES = re.compile(rf"[.;!?\n]+|,\s*(?:and\s+)?|\s+and\s+(?=(?:also\s+)?{_VERBS}\b)", re.I)


def stream_chunks(text: str, words_per_chunk: int = 6) -> list[str]:
    """Split text into small pieces that join back to exactly ``text``."""
    pieces = re.findall(r"\S+\s*|\s+", text)
    return [
        "".join(pieces[i : i + words_per_chunk]) for i in range(0, len(pieces), words_per_chunk)
    ]


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _round_words(value: float) -> int:
    return int(min(MAX_WORDS, max(MIN_WORDS, round(value / 50) * 50)))


def _intent(keyword: str, angle: str, say: Wording) -> str:
    text = f"{keyword} {angle}".lower()
    if re.search(r"\b(buy|price|prices|cheap|deal|deals|discount|coupon|order|shop)\b", text):
        return say.transactional
    if re.search(r"\b(best|vs|versus|review|reviews|compare|comparison|top|alternatives?)\b", text):
        return say.commercial
    return say.informational


def _audience(request: BriefRequest, say: Wording) -> str:
    who = say.searching_for.format(keyword=request.target_keyword)
    questions = request.community.questions
    if questions:
        who += say.typically_asking.format(question=questions[0])
    return f"{as_sentence(who)} {as_sentence(say.angle_chosen.format(angle=request.angle))}"


def _existing_sections(request: BriefRequest) -> list[OutlineSection]:
    """The page's own H2/H3 structure; the brief improves the page rather than replacing it."""
    sections: list[OutlineSection] = []
    for line in request.page.headings:
        level, _, text = line.partition(":")
        text = text.strip()
        if level == "H2" and text:
            sections.append(OutlineSection(heading=text))
        elif level == "H3" and text and sections:
            last = sections[-1]
            sections[-1] = last.model_copy(update={"subheadings": [*last.subheadings, text]})
    return sections[:6]


def _mentions(text: str, topic: str) -> bool:
    return phrase_in(topic, normalise_words(text))


class OfflineBriefWriter:
    """Builds briefs from research data with fixed rules; see the module docstring."""

    generator = OFFLINE_GENERATOR

    def write_brief(
        self, request: BriefRequest, *, on_token: Callable[[str], None] | None = None
    ) -> BriefDraft:
        say = wording(request.page.language)
        gaps = request.competitor_gaps[:3]
        unused = list(request.community.questions)
        outline = _existing_sections(request)
        for gap in gaps:
            related = [q for q in unused if _mentions(q, gap)][:2]
            unused = [q for q in unused if q not in related]
            outline.append(OutlineSection(heading=_cap(gap), subheadings=related))
        if request.community.pain_points:
            outline.append(
                OutlineSection(
                    heading=say.common_problems,
                    subheadings=[_cap(p.rstrip(".")) for p in request.community.pain_points[:3]],
                )
            )
        if unused:
            outline.append(OutlineSection(heading=say.faq, subheadings=unused[:5]))

        keyword = request.target_keyword
        keywords = [keyword] + [
            k.phrase for k in request.keywords.keywords if k.phrase.lower() != keyword.lower()
        ]
        questions = request.community.questions[:8] or [
            say.what_is.format(keyword=keyword),
            say.get_started.format(keyword=keyword),
        ]
        insights = [say.readers_say.format(pain=p) for p in request.community.pain_points[:6]]
        insights += [
            say.much_discussed.format(subreddit=t.subreddit, title=t.title, comments=t.num_comments)
            for t in request.community.top_threads[:3]
        ]
        sources: list[str] = []
        for url in [
            request.url,
            *(r.url for r in request.search_results[:8]),
            *(t.url for t in request.community.top_threads[:3]),
        ]:
            if url not in sources:
                sources.append(url)
        draft = BriefDraft(
            target_keyword=keyword,
            search_intent=_intent(keyword, request.angle, say),
            audience=_audience(request, say),
            outline=outline,
            questions_to_answer=questions,
            keywords_to_include=keywords[:10],
            competitor_gaps=list(request.competitor_gaps),
            community_insights=insights,
            word_count_target=_round_words(
                max(request.page.word_count, 800) * 1.25 + 150 * len(gaps)
            ),
            sources=sources,
            generator=self.generator,
            language=say.language,
        )
        return self._finish(draft, on_token)

    def revise_brief(
        self,
        request: BriefRequest,
        previous: BriefDraft,
        feedback: str,
        *,
        on_token: Callable[[str], None] | None = None,
    ) -> BriefDraft:
        say = wording(previous.language)
        edit = _Revision(
            say=say,
            text=BriefText(previous.markdown or render_markdown(previous), say),
            outline=list(previous.outline),
            questions=list(previous.questions_to_answer),
            words=previous.word_count_target,
        )
        edit.resize(feedback)
        for clause in (c.strip() for c in _CLAUSES.split(feedback)):
            if match := _REMOVE.search(clause):
                edit.remove(_topic(match["topic"]))
            elif match := _ANSWER.search(clause):
                edit.ask(_topic(match["topic"]))
            elif match := _ADD.search(clause):
                edit.add(_topic(match["topic"]))
        note = edit.note(feedback)
        edit.text.set_field(say.revision_note, note)
        edit.text.set_generator(self.generator)
        for marker in OFFLINE_MARKERS:
            edit.text.remove_lines_starting(marker)
        edit.text.set_top_notice(say.offline_notice, say.offline_marker)
        draft = previous.model_copy(
            update={
                "outline": edit.outline,
                "questions_to_answer": edit.questions,
                "word_count_target": edit.words,
                "generator": self.generator,
                "revision_note": note,
            }
        )
        return _streamed(draft, edit.text.markdown(), on_token)

    def _finish(self, draft: BriefDraft, on_token: Callable[[str], None] | None) -> BriefDraft:
        notice = wording(draft.language).offline_notice
        return _streamed(draft, f"{notice}\n\n{render_markdown(draft)}", on_token)


def _streamed(
    draft: BriefDraft, markdown: str, on_token: Callable[[str], None] | None
) -> BriefDraft:
    """The draft with its Markdown, sent to ``on_token`` in small pieces as well."""
    if on_token is not None:
        for chunk in stream_chunks(markdown):
            on_token(chunk)
    return draft.model_copy(update={"markdown": markdown})


@dataclass
class _Revision:
    """The brief being edited, plus a plain account of what was and was not changed.

    The text decides: what a reviewer reads is the Markdown, so "already there" and
    "nothing to remove" are judged on it, and the structured fields follow.
    """

    say: Wording
    text: BriefText
    outline: list[OutlineSection]
    questions: list[str]
    words: int
    changes: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def resize(self, feedback: str) -> None:
        factor = 0.75 if _SHORTER.search(feedback) else 1.3 if _LONGER.search(feedback) else 1
        if factor == 1:
            return
        before = self.text.field_number(self.say.target_length) or self.words
        self.words = _round_words(before * factor)
        self.text.set_field(
            self.say.target_length, self.say.words(self.words), before=self.say.revision_note
        )
        self.changes.append(f"target length {before} -> {self.words} words")

    def remove(self, topic: str) -> None:
        if not topic:
            return
        removed = self.text.remove_subsections(lambda heading: _mentions(heading, topic))
        self.outline = [s for s in self.outline if not _mentions(s.heading, topic)]
        if not removed:
            self.skipped.append(f'no section mentions "{topic}"')
            return
        self.changes.append(f'removed the section on "{topic}"')

    def ask(self, topic: str) -> None:
        if not topic:
            return
        question = _cap(topic.rstrip("?")) + ("?" if _QUESTION_WORD.match(topic) else "")
        if _contains(self.text.numbered_items(self.say.questions), question):
            self.skipped.append(f'"{question}" is already a question to answer')
            return
        self.text.add_numbered_item(self.say.questions, question)
        if not _contains(self.questions, question):
            self.questions.append(question)
        self.changes.append(f'added the question "{question}"')

    def add(self, topic: str) -> None:
        if not topic:
            return
        if _QUESTION_WORD.match(topic) or topic.lower().startswith("whether "):
            self.ask(topic)
        elif any(_mentions(heading, topic) for heading in self.text.headings(3)):
            self.skipped.append(f'the outline already has a section on "{topic}"')
        else:
            heading = _cap(topic)
            self.text.add_subsection(self.say.outline, heading)
            if not _contains([s.heading for s in self.outline], heading):
                self.outline.append(OutlineSection(heading=heading))
            self.changes.append(f'added a section on "{topic}"')

    def note(self, feedback: str) -> str:
        quoted = " ".join(feedback.split())
        if self.changes:
            note = f'Applied reviewer feedback ("{quoted}"): ' + "; ".join(self.changes) + "."
        else:
            note = (
                "No change could be applied automatically for this feedback; it is kept here "
                f'for the writer: "{quoted}".'
            )
        if self.skipped:
            note += " Not changed: " + "; ".join(self.skipped) + "."
        return note


def _contains(items: list[str], text: str) -> bool:
    return text.lower() in (item.lower() for item in items)


def _topic(raw: str) -> str:
    topic = " ".join(raw.split()).strip(" \"'")
    previous = None
    while previous != topic:
        previous, topic = topic, _TRAILING.sub("", topic).strip(" \"'")
    if len(topic) > 80:
        topic = topic[:80].rsplit(" ", 1)[0]
    return topic
