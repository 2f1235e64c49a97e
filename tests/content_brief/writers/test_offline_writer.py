from __future__ import annotations

import pytest

from workflows.content_brief.records import BriefDraft, BriefRequest, CommunityInsights
from workflows.content_brief.text import as_sentence
from workflows.content_brief.writers.llm import BriefWriter
from workflows.content_brief.writers.markdown import render_markdown
from workflows.content_brief.writers.offline_writer import (
    OFFLINE_NOTICE,
    OfflineBriefWriter,
    stream_chunks,
)
from workflows.content_brief.writers.wording import GERMAN


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


def test_the_audience_ends_each_sentence_with_one_mark(
    writer: BriefWriter, demo_request: BriefRequest
) -> None:
    community = demo_request.community.model_copy(update={"questions": ["Is it finished?"]})
    request = demo_request.model_copy(
        update={"community": community, "angle": "Fix the smell first."}
    )
    audience = writer.write_brief(request).audience
    assert audience.endswith(
        'typically asking things like "Is it finished?" '
        "Angle chosen by the reviewer: Fix the smell first."
    )
    plain = demo_request.model_copy(
        update={"community": community.model_copy(update={"questions": []}), "angle": "Bins"}
    )
    assert writer.write_brief(plain).audience.endswith(
        '"composting at home". Angle chosen by the reviewer: Bins.'
    )


@pytest.mark.parametrize(
    ("text", "sentence"),
    [
        ('asking "Is it done?"', 'asking "Is it done?"'),
        ("mit Fragen wie \u201eIst er fertig?\u201c", "mit Fragen wie \u201eIst er fertig?\u201c"),
        ("comme \u00ab Est-ce fini ? \u00bb", "comme \u00ab Est-ce fini ? \u00bb"),
        ("\u00abQu\u00e9 es\u2026\u00bb", "\u00abQu\u00e9 es\u2026\u00bb"),
        ('searching for "compost"', 'searching for "compost".'),
        ("Bins", "Bins."),
    ],
)
def test_a_sentence_ends_with_one_mark_in_every_language_s_quotes(text: str, sentence: str) -> None:
    assert as_sentence(text) == sentence


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


# --- revising text that people edited -------------------------------------------------------

TUMBLER_BLOCK = "### Compost tumbler\n- Is a compost tumbler worth the money or just a gimmick?\n"


def edit(draft: BriefDraft, *replacements: tuple[str, str]) -> BriefDraft:
    """The draft as an editor left it: each (old, new) replaced once in its Markdown."""
    markdown = draft.markdown
    for old, new in replacements:
        assert old in markdown, old
        markdown = markdown.replace(old, new, 1)
    return draft.model_copy(update={"markdown": markdown})


EDITOR_LINES = (
    "Editor: brief for the spring issue",
    "- **Editor's deadline:** Friday",
    "Keep the tone friendly.",
    "   Ask Sam about this one.",
    "Final word from the editor.",
)


def people_edited(draft: BriefDraft) -> BriefDraft:
    top, header, outline, question, end = EDITOR_LINES
    edited = edit(
        draft,
        ("# Content brief: composting at home\n", f"# Content brief: composting at home\n{top}\n"),
        ("about 1,450 words\n", f"about 2,000 words\n{header}\n"),
        ("### Common beginner mistakes\n", f"### Common beginner mistakes\n{outline}\n"),
        ("2. Is it ready", f"{question}\n2. Is it ready"),
    )
    return edited.model_copy(update={"markdown": f"{edited.markdown}\n{end}\n"})


def test_a_revision_starts_from_the_text_people_edited(
    writer: BriefWriter, demo_request: BriefRequest, draft: BriefDraft
) -> None:
    tokens: list[str] = []
    revised = writer.revise_brief(
        demo_request,
        people_edited(draft),
        "Add a section on leaf mould, answer how to compost in winter, and make it shorter",
        on_token=tokens.append,
    )
    markdown = revised.markdown
    assert all(line in markdown.splitlines() for line in EDITOR_LINES)
    assert markdown.startswith(OFFLINE_NOTICE + "\n\n> Generated by: Offline template")
    assert markdown.count(OFFLINE_NOTICE) == 1
    assert "- **Target length:** about 1,500 words\n" in markdown  # from the editor's 2,000
    assert markdown.count("- **Revision note:**") == 1
    assert f"- **Revision note:** {revised.revision_note}\n" in markdown
    assert "target length 2000 -> 1500 words" in (revised.revision_note or "")
    outline = markdown.split("## Outline")[1].split("## Questions to answer")[0]
    assert outline.rstrip().endswith(
        "### Frequently asked questions\n" + FAQ + "\n\n### Leaf mould"
    )
    questions = markdown.split("## Questions to answer")[1].split("## Keywords")[0]
    assert questions.strip().endswith("8. Would wire mesh underneath actually stop them?\n"
                                      "9. How to compost in winter?")  # fmt: skip
    assert "".join(tokens) == markdown
    assert revised.outline[-1].heading == "Leaf mould"
    assert revised.questions_to_answer[-1] == "How to compost in winter?"
    assert revised.word_count_target == 1500


FAQ = "\n".join(
    [
        "- How do I know when my compost is actually finished?",
        "- Is it ready to put on my vegetable beds or will it burn the plants?",
        "- Composting in a small apartment without it smelling - is bokashi worth it?",
        "- Has anyone used bokashi long term?",
        "- What do you do with the fermented stuff if you don't have a garden?",
    ]
)


def test_people_s_lines_survive_every_later_round(
    writer: BriefWriter, demo_request: BriefRequest, draft: BriefDraft
) -> None:
    current = people_edited(draft)
    for feedback in (
        "Add a section on leaf mould",
        "Remove the compost tumbler section",
        "Longer, please",
        "Answer whether tumblers are worth it",
        "I don't love the tone.",
        "Shorter",
    ):
        current = writer.revise_brief(demo_request, current, feedback)
        lines = current.markdown.splitlines()
        assert all(line in lines for line in EDITOR_LINES), feedback
        assert current.markdown.count(OFFLINE_NOTICE) == 1
        assert current.markdown.count("- **Revision note:**") == 1
    assert "### Leaf mould" in current.markdown
    assert "### Compost tumbler" not in current.markdown
    assert "1. Whether tumblers are worth it" not in current.markdown
    assert "\n9. Whether tumblers are worth it\n" in current.markdown


def test_remove_takes_only_the_blocks_whose_heading_mentions_it(
    writer: BriefWriter, demo_request: BriefRequest, draft: BriefDraft
) -> None:
    revised = writer.revise_brief(demo_request, draft, "Remove the compost tumbler section")
    assert TUMBLER_BLOCK in draft.markdown and TUMBLER_BLOCK not in revised.markdown
    note = f"- **Revision note:** {revised.revision_note}\n"
    rest = revised.markdown.replace(note, "")
    assert rest == draft.markdown.replace(TUMBLER_BLOCK + "\n", "")  # all else as it was
    assert "- compost tumbler\n" in revised.markdown  # the competitor gap is no heading
    assert "Compost tumbler" not in [s.heading for s in revised.outline]


def test_sections_the_editor_deleted_come_back_at_the_end(
    writer: BriefWriter, demo_request: BriefRequest, draft: BriefDraft
) -> None:
    outline = draft.markdown.split("## Outline\n")[1].split("## Questions to answer\n")[0]
    questions = draft.markdown.split("## Questions to answer\n")[1].split("## Keywords")[0]
    trimmed = edit(
        draft,
        (OFFLINE_NOTICE + "\n\n", ""),
        ("- **Target length:** about 1,450 words\n", ""),
        ("## Outline\n" + outline, ""),
        ("## Questions to answer\n" + questions, ""),
    )
    revised = writer.revise_brief(
        demo_request,
        trimmed,
        "Add a section on leaf mould. Answer whether tumblers are worth it. Make it shorter.",
    )
    markdown = revised.markdown
    assert markdown.startswith(OFFLINE_NOTICE + "\n\n> Generated by:")
    assert "- **Target length:** about 1,100 words\n- **Revision note:** Applied" in markdown
    assert markdown.endswith(
        "## Outline\n\n### Leaf mould\n\n## Questions to answer\n\n"
        "1. Whether tumblers are worth it\n"
    )


def test_a_model_s_draft_revised_offline_says_who_revised_it(
    writer: BriefWriter, demo_request: BriefRequest, draft: BriefDraft
) -> None:
    by_model = draft.model_copy(update={"generator": "some-model (LLM)"})
    by_model = by_model.model_copy(update={"markdown": render_markdown(by_model)})
    revised = writer.revise_brief(demo_request, by_model, "Shorter")
    assert revised.markdown.startswith(OFFLINE_NOTICE + "\n\n> Generated by: Offline template")
    assert "some-model" not in revised.markdown


def test_a_moved_or_copied_notice_ends_up_once_on_top(
    writer: BriefWriter, demo_request: BriefRequest, draft: BriefDraft
) -> None:
    moved = edit(
        draft, (OFFLINE_NOTICE + "\n\n", ""), ("## Sources\n", f"{OFFLINE_NOTICE}\n\n## Sources\n")
    )
    copied = edit(draft, ("## Sources\n", f"{OFFLINE_NOTICE}\n\n## Sources\n"))
    for edited in (moved, copied):
        revised = writer.revise_brief(demo_request, edited, "Shorter")
        assert revised.markdown.startswith(OFFLINE_NOTICE + "\n\n")
        assert revised.markdown.count("Offline draft") == 1
        assert "\n\n\n" not in revised.markdown


def test_revising_edited_text_is_deterministic(
    writer: BriefWriter, demo_request: BriefRequest, draft: BriefDraft
) -> None:
    edited = people_edited(draft)
    feedback = "Add a section on leaf mould and remove the worm bin section"
    assert writer.revise_brief(demo_request, edited, feedback) == writer.revise_brief(
        demo_request, edited, feedback
    )


@pytest.fixture(scope="module")
def german_request(demo_request: BriefRequest) -> BriefRequest:
    page = demo_request.page.model_copy(update={"language": "de"})
    return demo_request.model_copy(
        update={"page": page, "target_keyword": "Kompost anlegen", "community": CommunityInsights()}
    )


def test_writes_the_brief_in_the_page_s_language(
    writer: BriefWriter, german_request: BriefRequest
) -> None:
    draft = writer.write_brief(german_request)
    assert draft.language == "de"
    assert draft.markdown.startswith(GERMAN.offline_notice + "\n\n> Erstellt von: Offline")
    for line in (
        "# Content-Briefing: Kompost anlegen",
        "- **Suchintention:** Informational - die Leser",
        "## Gliederung",
        "## Zu beantwortende Fragen",
        "1. Was ist Kompost anlegen?",
        "## Quellen",
    ):
        assert line in draft.markdown, line
    assert "## Outline" not in draft.markdown and "Generated by" not in draft.markdown
    assert GERMAN.words(draft.word_count_target) in draft.markdown  # "etwa 1.450 Wörter"


def test_revises_a_brief_in_its_own_language(
    writer: BriefWriter, german_request: BriefRequest
) -> None:
    draft = writer.write_brief(german_request)
    revised = writer.revise_brief(
        german_request, draft, "Add a section on Wurmkiste. Make it shorter."
    )
    assert revised.language == "de"
    outline = revised.markdown.split("## Gliederung", 1)[1].split("\n## ", 1)[0]
    assert "### Wurmkiste" in outline
    shorter = round(draft.word_count_target * 0.75 / 50) * 50
    assert f"- **Ziellänge:** {GERMAN.words(shorter)}" in revised.markdown
    assert "- **Überarbeitungshinweis:** Applied reviewer feedback" in revised.markdown
    assert revised.markdown.count(GERMAN.offline_notice) == 1


def test_a_language_without_wording_gets_the_english_layout(
    writer: BriefWriter, demo_request: BriefRequest
) -> None:
    page = demo_request.page.model_copy(update={"language": "nl"})
    draft = writer.write_brief(demo_request.model_copy(update={"page": page}))
    assert draft.language == "en" and "## Outline" in draft.markdown
