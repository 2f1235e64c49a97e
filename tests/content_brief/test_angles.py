"""Suggested angles are grounded in the research and target the page's real subject."""

from __future__ import annotations

from workflows.content_brief import angles
from workflows.content_brief.records import (
    CommunityInsights,
    Keyword,
    KeywordAnalysis,
    PageOutline,
)
from workflows.content_brief.step_schemas import CommunityResearch, Research, SearchResearch


def keyword(phrase: str) -> Keyword:
    return Keyword(phrase=phrase, score=0.1, relevance=0.5, in_headings=False, occurrences=2)


def research(phrases: list[str], gaps: list[str], pains: list[str]) -> Research:
    return Research(
        keywords=KeywordAnalysis(keywords=[keyword(p) for p in phrases], heading_coverage=0.5),
        search=SearchResearch(query="q", competitor_gaps=gaps),
        community=CommunityResearch(query="q", insights=CommunityInsights(pain_points=pains)),
    )


PAGE = PageOutline(
    url="https://example.com/compost",
    title="Why Does My Compost Smell? 6 Fixes | Rootbound Gardens",
    meta_description="",
    word_count=900,
    text="",
)


def test_the_lead_keyword_is_a_phrase_that_matches_the_title() -> None:
    found = research(["smell", "pile", "rotten egg smell", "compost smells"], [], [])
    assert angles.lead_keyword(found, "Why Does My Compost Smell?") == "compost smells"


def test_without_a_matching_phrase_the_top_keyword_leads() -> None:
    found = research(["smell", "garden tools"], [], [])
    assert angles.lead_keyword(found, "Why Does My Compost Smell?") == "smell"


def test_each_angle_cites_its_evidence_and_the_title_loses_the_site_name() -> None:
    found = research(["compost smells"], ["worm bin", "bokashi"], ["I can't stand the smell"])
    proposal = angles.propose(PAGE, found)
    titles = [a.title for a in proposal.angles]
    assert titles[0] == "The definitive guide: Why Does My Compost Smell? 6 Fixes"
    assert titles[1] == "What other guides miss: worm bin, bokashi"
    assert titles[2].startswith("Solve what readers struggle with: I can't stand the smell")
    assert {a.target_keyword for a in proposal.angles} == {"compost smells"}
    assert "worm bin, bokashi" in proposal.angles[1].rationale


def test_a_quoted_reader_ends_the_rationale_with_one_mark_and_the_title_with_none() -> None:
    found = research(["compost smells"], [], ["The advice online is really confusing."])
    angle = angles.propose(PAGE, found).angles[1]
    assert angle.title == "Solve what readers struggle with: The advice online is really confusing"
    assert angle.rationale == (
        "Readers in discussions struggle with this, e.g. "
        "\u201cThe advice online is really confusing.\u201d"
    )


def test_a_question_is_asked_about_and_an_unfinished_quote_gets_its_full_stop() -> None:
    asked = Research(
        keywords=KeywordAnalysis(keywords=[keyword("compost smells")], heading_coverage=0.5),
        search=SearchResearch(query="q"),
        community=CommunityResearch(
            query="q", insights=CommunityInsights(questions=["Why does my bin smell?"])
        ),
    )
    assert (
        angles.propose(PAGE, asked)
        .angles[1]
        .rationale.endswith("ask about this, e.g. \u201cWhy does my bin smell?\u201d")
    )
    found = research(["compost smells"], [], ["flies everywhere"])
    assert angles.propose(PAGE, found).angles[1].rationale.endswith("\u201cflies everywhere\u201d.")


def test_angles_without_gaps_or_discussions_leave_only_the_guide() -> None:
    proposal = angles.propose(PAGE, research(["compost smells"], [], []))
    assert len(proposal.angles) == 1


def test_a_custom_angle_gets_the_keyword_sharing_most_of_its_words() -> None:
    found = research(["compost", "compost pile", "compost bin", "small compost bin"], [], [])
    assert angles.keyword_for_angle(found, "A small compost bin for a flat") == "small compost bin"
    assert angles.keyword_for_angle(found, "Bins on balconies") == "compost bin"  # plural-blind


def test_ties_go_to_the_best_ranked_phrase_and_stopwords_do_not_count() -> None:
    found = research(["compost pile", "compost bin", "in a pinch"], [], [])
    assert angles.keyword_for_angle(found, "Compost in a hurry") == "compost pile"
    assert angles.keyword_for_angle(found, "Living in a flat") == ""


def test_the_proposal_shows_where_the_page_comes_from() -> None:
    page = PAGE.model_copy(
        update={
            "language": "de",
            "language_source": "detected",
            "published": "2025-03-27",
            "canonical_url": "https://example.com/kompost",
        }
    )
    proposal = angles.propose(page, research(["Kompost"], [], []))
    assert (proposal.language, proposal.language_name, proposal.language_source) == (
        "de",
        "German",
        "detected",
    )
    assert (proposal.published, proposal.canonical_url, proposal.word_count) == (
        "2025-03-27",
        "https://example.com/kompost",
        900,
    )
