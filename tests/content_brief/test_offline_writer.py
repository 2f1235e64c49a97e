from __future__ import annotations

import pytest

from workflows.content_brief.brief_markdown import render_markdown
from workflows.content_brief.llm import BriefWriter
from workflows.content_brief.offline_writer import OfflineBriefWriter, stream_chunks
from workflows.content_brief.types import BriefDraft, BriefRequest


@pytest.fixture(scope="module")
def writer() -> BriefWriter:
    return OfflineBriefWriter()


@pytest.fixture(scope="module")
def draft(writer: BriefWriter, demo_request: BriefRequest) -> BriefDraft:
    return writer.write_brief(demo_request)


def test_says_plainly_it_is_not_an_llm(draft: BriefDraft) -> None:
    assert "not an LLM" in draft.generator
    first_line = draft.markdown.splitlines()[0]
    assert "Offline draft" in first_line and "not written by an LLM" in first_line
    assert draft.markdown.endswith(render_markdown(draft))


def test_builds_the_brief_from_the_research(draft: BriefDraft, demo_request: BriefRequest) -> None:
    assert draft.target_keyword == "composting at home"
    assert draft.search_intent.startswith("Informational")
    assert demo_request.angle in draft.audience
    headings = [section.heading for section in draft.outline]
    assert "Step 2: Balance greens and browns" in headings  # the page's own structure is kept
    for gap in demo_request.competitor_gaps[:3]:
        assert gap.capitalize() in headings
    tumbler = next(s for s in draft.outline if s.heading == "Compost tumbler")
    assert tumbler.subheadings == ["Is a compost tumbler worth the money or just a gimmick?"]
    assert draft.questions_to_answer == demo_request.community.questions[:8]
    assert draft.keywords_to_include[0] == "composting at home"
    assert draft.competitor_gaps == demo_request.competitor_gaps
    assert any("confusing" in insight for insight in draft.community_insights)
    assert draft.sources[0] == demo_request.url
    assert len(draft.sources) == len(set(draft.sources))
    assert 800 <= draft.word_count_target <= 3000


def test_is_deterministic_and_streams_its_markdown(
    writer: BriefWriter, demo_request: BriefRequest, draft: BriefDraft
) -> None:
    tokens: list[str] = []
    again = writer.write_brief(demo_request, on_token=tokens.append)
    assert again == draft
    assert len(tokens) > 20
    assert "".join(tokens) == again.markdown


def test_feedback_adds_removes_and_resizes(
    writer: BriefWriter, demo_request: BriefRequest, draft: BriefDraft
) -> None:
    tokens: list[str] = []
    revised = writer.revise_brief(
        demo_request,
        draft,
        "Please add a section on leaf mould and make it shorter. Remove the worm bin section, "
        "and answer whether tumblers are worth it? What about how to compost in winter",
        on_token=tokens.append,
    )
    headings = [s.heading for s in revised.outline]
    assert "Leaf mould" in headings
    assert "Worm bin" not in headings and "Worm bin" in [s.heading for s in draft.outline]
    assert revised.word_count_target < draft.word_count_target
    assert "Whether tumblers are worth it" in revised.questions_to_answer
    assert "How to compost in winter?" in revised.questions_to_answer
    assert revised.revision_note is not None
    assert 'added a section on "leaf mould"' in revised.revision_note
    assert 'removed the section on "worm bin"' in revised.revision_note
    assert "- **Revision note:**" in revised.markdown
    assert "".join(tokens) == revised.markdown
    assert "not an LLM" in revised.generator


def test_longer_and_duplicate_topics(
    writer: BriefWriter, demo_request: BriefRequest, draft: BriefDraft
) -> None:
    revised = writer.revise_brief(demo_request, draft, "Longer please, and cover compost tumblers")
    assert revised.word_count_target > draft.word_count_target
    assert revised.outline == draft.outline  # a tumbler section already exists
    assert revised.revision_note is not None
    assert "already has a section" in revised.revision_note


def test_unrecognised_feedback_is_kept_for_the_writer(
    writer: BriefWriter, demo_request: BriefRequest, draft: BriefDraft
) -> None:
    revised = writer.revise_brief(demo_request, draft, "I don't love the tone.")
    assert revised.outline == draft.outline
    assert revised.word_count_target == draft.word_count_target
    assert revised.revision_note is not None
    assert "I don't love the tone." in revised.revision_note
    assert revised.revision_note.startswith("No change could be applied")


def test_stream_chunks_round_trip() -> None:
    text = "  leading space\n\n# Title\n- a  b\tc\n"
    chunks = stream_chunks(text, words_per_chunk=2)
    assert "".join(chunks) == text
    assert len(chunks) > 1
