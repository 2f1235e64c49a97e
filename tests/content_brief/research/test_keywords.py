from __future__ import annotations

import math
import statistics

import pytest

from workflows.content_brief.research import keywords as kw
from workflows.content_brief.research.keywords import (
    extract_keywords,
    levenshtein_ratio,
    yake_candidates,
)
from workflows.content_brief.text import is_stopword

ESPRESSO = """Dialing In Espresso at Home
Pulling a good espresso shot at home comes down to three variables: the grind size, the dose of \
coffee in the portafilter, and the brew ratio. Change one variable at a time.
A burr grinder is the most important piece of equipment. Blade grinders chop the beans unevenly, \
so fine particles over-extract while coarse ones under-extract, and the espresso tastes bitter \
and sour at once.
Honestly, a lot of people think this stuff is really complicated. It basically isn't, you just \
need some patience and a bit of stuff like a scale.
Start with an 18 gram dose and aim for about 36 grams of espresso in the cup after 25 to 30 \
seconds. If the shot runs fast and tastes sour, grind finer. If the shot runs slow and tastes \
bitter, grind coarser.
Distribute the coffee evenly in the portafilter before you tamp. Channeling happens when water \
finds a weak path through the puck, which leads to uneven extraction.
Fresh beans matter too. Espresso beans are best between one and four weeks after the roast \
date; older beans produce thin crema and flat flavour.
Clean the group head and backflush the espresso machine every week to keep old coffee oils from \
tainting the shot.
"""
HEADINGS = ["Dialing in espresso at home", "Choosing a burr grinder", "Dose and brew ratio"]
FILLER = {"honestly", "lot", "people", "stuff", "really", "basically", "patience", "bit"}
DOMAIN = ["espresso", "shot", "grind", "coffee", "portafilter", "dose", "beans"]


def test_domain_keywords_rank_above_filler() -> None:
    ranked, _ = yake_candidates(ESPRESSO, top=500)
    position = {item.phrase: i for i, item in enumerate(ranked)}
    assert ranked[0].phrase == "espresso"
    worst_domain = max(position[word] for word in DOMAIN)
    best_filler = min(position[word] for word in FILLER if word in position)
    assert worst_domain < best_filler

    analysis = extract_keywords(ESPRESSO, HEADINGS, top=15)
    words = {word for k in analysis.keywords for word in k.phrase.split()}
    assert not words & FILLER
    assert sum(any(d in k.phrase for d in DOMAIN) for k in analysis.keywords[:5]) >= 4


def test_scores_and_relevance_are_consistent() -> None:
    analysis = extract_keywords(ESPRESSO, HEADINGS, top=15)
    assert len(analysis.keywords) == 15
    scores = [k.score for k in analysis.keywords]
    relevance = [k.relevance for k in analysis.keywords]
    assert scores == sorted(scores)  # lower YAKE score is better
    assert relevance == sorted(relevance, reverse=True)  # relevance is the same order, flipped
    assert relevance[0] == 1.0
    assert all(0.0 <= r <= 1.0 for r in relevance)
    espresso = analysis.keywords[0]
    assert espresso.occurrences == ESPRESSO.lower().count("espresso")


def test_heading_coverage() -> None:
    analysis = extract_keywords(ESPRESSO, HEADINGS, top=15)
    by_phrase = {k.phrase: k for k in analysis.keywords}
    assert by_phrase["espresso"].in_headings is True
    assert by_phrase["shot"].in_headings is False
    covered = [k for k in analysis.keywords if k.in_headings]
    assert analysis.heading_coverage == pytest.approx(len(covered) / 15, abs=1e-4)
    assert analysis.missing_from_headings == [
        k.phrase for k in analysis.keywords if not k.in_headings
    ]


def test_heading_match_ignores_case_and_plurals() -> None:
    text = "Compost bins work. Compost bins are cheap. A compost bin needs greens and browns."
    analysis = extract_keywords(text, ["Choosing a COMPOST BIN"], top=5)
    matched = {k.phrase: k.in_headings for k in analysis.keywords}
    assert matched.get("compost bins", matched.get("compost bin")) is True


def test_candidates_follow_yake_rules() -> None:
    ranked, _ = yake_candidates(ESPRESSO, top=1000)
    for item in ranked:
        words = item.phrase.split()
        assert 1 <= len(words) <= 3
        assert not is_stopword(words[0]) and not is_stopword(words[-1])
        assert not any(any(c.isdigit() for c in w) for w in words)  # numbers never form keywords
    phrases = [item.phrase for item in ranked[:80]]
    for i, a in enumerate(phrases):
        for b in phrases[i + 1 :]:
            assert levenshtein_ratio(a, b) <= kw.DEDUP_THRESHOLD, (a, b)


def test_term_score_matches_the_paper_formula() -> None:
    """Worked example: "Worms eat scraps. Worms like scraps." ('like' is a stopword)."""
    doc = kw._read("Worms eat scraps. Worms like scraps.")
    kw._score_terms(doc)
    worm = doc.terms["worm"]
    tfs = [2, 1, 2]  # worm, eat, scrap: the non-stopword terms
    freq = 2 / (statistics.fmean(tfs) + statistics.pstdev(tfs))
    rel = 1 + (0 + 2 / 2) * 2 / 2  # no left neighbours; right: {eat, like} seen twice in total
    pos = math.log(math.log(3 + 0.5))  # median of sentence indexes {0, 1}
    cas = 0  # sentence-initial capitals do not count
    spread = 2 / 2
    expected = (rel * pos) / (cas + freq / rel + spread / rel)
    assert worm.h == pytest.approx(expected)
    assert doc.terms["like"].stopword is True


def test_candidate_score_multiplies_terms_and_divides_by_frequency() -> None:
    doc = kw._read("Worms eat scraps. Worms like scraps.")
    kw._score_terms(doc)
    worm, scrap = doc.terms["worm"].h, doc.terms["scrap"].h
    pair = doc.candidates["worms eat"]
    eat = doc.terms["eat"].h
    assert kw._score_candidate(doc, pair) == pytest.approx(worm * eat / (1 + worm + eat))
    # "worms like scraps": the stopword contributes through how strongly it binds neighbours
    triple = doc.candidates["worms like scraps"]
    binding = (1 / 2) * (1 / 2)  # P(like | worm) * P(like -> scrap | scrap)
    expected = worm * (2 - binding) * scrap / ((worm + scrap - (1 - binding) + 1) * 1)
    assert kw._score_candidate(doc, triple) == pytest.approx(expected)


def test_near_duplicates_are_removed() -> None:
    text = (
        "Compost bins are useful. A compost bin keeps pests out. Compost bins hold heat. "
        "Tumblers turn easily."
    )
    phrases = [k.phrase for k in extract_keywords(text, [], top=10).keywords]
    assert not {"compost bin", "compost bins"} <= set(phrases)


def test_empty_and_stopword_only_text() -> None:
    for text in ("", "   ", "It is what it is, and so on."):
        analysis = extract_keywords(text, ["Anything"])
        assert analysis.keywords == []
        assert analysis.heading_coverage == 0.0
        assert analysis.missing_from_headings == []


def test_levenshtein_ratio() -> None:
    assert levenshtein_ratio("kitten", "sitting") == pytest.approx(1 - 3 / 7)
    assert levenshtein_ratio("same", "same") == 1.0
    assert levenshtein_ratio("", "x") == 0.0
