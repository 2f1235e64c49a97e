"""Keywords: YAKE's ranking (yake-rust) with the page language's stopwords, plus our own
relevance, occurrences and heading coverage."""

from __future__ import annotations

import pytest

from workflows.content_brief.records import KeywordAnalysis
from workflows.content_brief.research.keywords import (
    as_sentences,
    extract_keywords,
    yake_keywords,
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

KOMPOST = """Kompost richtig anlegen
Ein Komposthaufen verwandelt Küchenabfälle, Rasenschnitt und Laub in wertvollen Humus. Der \
Kompost braucht einen Platz im Halbschatten, und der Boden unter dem Kompost sollte offen sein, \
damit Regenwürmer einwandern können. Mischen Sie feuchte Küchenabfälle immer mit trockenem Laub. \
Nach drei Monaten setzen Sie den Kompost um, damit Sauerstoff in den Haufen kommt. Reifer Kompost \
ist dunkel, krümelig und riecht nach Waldboden.
"""
HUERTO = """Cómo empezar un huerto urbano en el balcón
No hace falta tener jardín para cultivar tus propias verduras. Con unas cuantas macetas, un buen \
sustrato y cinco horas de sol al día, un balcón pequeño puede darte lechugas y tomates. Las \
macetas necesitan agujeros de drenaje, y los tomates necesitan macetas de al menos treinta litros. \
Mezcla el sustrato con compost y riega las macetas por la mañana.
"""


def test_domain_keywords_lead_and_filler_stays_out() -> None:
    analysis = extract_keywords(ESPRESSO, HEADINGS, top=15)
    assert analysis.keywords[0].phrase == "espresso"
    words = {word for k in analysis.keywords for word in k.phrase.lower().split()}
    assert not words & FILLER
    assert sum(any(d in k.phrase for d in DOMAIN) for k in analysis.keywords[:5]) >= 4


def test_scores_relevance_and_occurrences() -> None:
    analysis = extract_keywords(ESPRESSO, HEADINGS, top=15)
    assert len(analysis.keywords) == 15
    scores = [k.score for k in analysis.keywords]
    relevance = [k.relevance for k in analysis.keywords]
    assert scores == sorted(scores)  # lower YAKE score is better
    assert relevance == sorted(relevance, reverse=True)  # the same order, higher is better
    assert relevance[0] == 1.0
    assert all(0.0 < r <= 1.0 for r in relevance)
    assert analysis.keywords[0].occurrences == ESPRESSO.lower().count("espresso")


def test_keywords_are_spelled_as_the_page_usually_spells_them() -> None:
    phrases = [k.phrase for k in extract_keywords(ESPRESSO, HEADINGS).keywords]
    assert "espresso" in phrases and "Espresso" not in phrases  # capitalised only in the title
    german = [k.phrase for k in extract_keywords(KOMPOST, [], language="de").keywords]
    assert "Kompost" in german  # German nouns keep their capital


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
    matched = {k.phrase.lower(): k.in_headings for k in analysis.keywords}
    assert matched.get("compost bins", matched.get("compost bin")) is True


@pytest.mark.parametrize(("text", "language"), [(ESPRESSO, "en"), (KOMPOST, "de"), (HUERTO, "es")])
def test_candidates_follow_yake_rules_in_the_page_language(text: str, language: str) -> None:
    analysis = extract_keywords(text, [], top=30, language=language)
    assert analysis.language == language
    assert analysis.keywords
    for keyword in analysis.keywords:
        words = keyword.phrase.split()
        assert 1 <= len(words) <= 3
        assert not is_stopword(words[0], language) and not is_stopword(words[-1], language)
        assert not any(any(c.isdigit() for c in w) for w in words)  # numbers never form keywords


def test_german_and_spanish_pages_get_their_own_stopwords() -> None:
    """With English stopwords, German and Spanish function words start and end keywords."""

    def edges(analysis: KeywordAnalysis) -> set[str]:
        return {
            end
            for k in analysis.keywords
            for end in (k.phrase.lower().split()[0], k.phrase.lower().split()[-1])
        }

    for text, language, noise in [
        (KOMPOST, "de", {"der", "die", "und", "den", "mit", "sie", "ist", "nach", "ein"}),
        (HUERTO, "es", {"el", "los", "las", "un", "con", "para", "por", "y", "de"}),
    ]:
        assert not edges(extract_keywords(text, [], top=15, language=language)) & noise
        assert edges(extract_keywords(text, [], top=15, language="en")) & noise


def test_a_language_yake_has_no_stopwords_for_still_gets_keywords() -> None:
    assert extract_keywords(ESPRESSO, [], language="xx").keywords


def test_lines_become_sentences() -> None:
    assert as_sentences("Configuring webhooks\nWebhooks let you.\n\nby Geoff\nWhy? ") == (
        "Configuring webhooks.\nWebhooks let you.\nBy Geoff.\nWhy?"
    )
    phrases = [phrase.lower() for phrase, _ in yake_keywords("Configuring webhooks\nWebhooks x")]
    assert "webhooks webhooks" not in phrases


def test_near_duplicates_are_removed() -> None:
    text = (
        "Compost bins are useful. A compost bin keeps pests out. Compost bins hold heat. "
        "Tumblers turn easily."
    )
    phrases = [k.phrase.lower() for k in extract_keywords(text, [], top=10).keywords]
    assert not {"compost bin", "compost bins"} <= set(phrases)


def test_empty_and_stopword_only_text() -> None:
    for text in ("", "   ", "It is what it is, and so on."):
        analysis = extract_keywords(text, ["Anything"])
        assert analysis.keywords == []
        assert analysis.heading_coverage == 0.0
        assert analysis.missing_from_headings == []


def test_capitals_given_only_by_position_do_not_count() -> None:
    text = "Start Composting Today\nStart with a bin. RainCatch sells one. Use an HMAC key.\n"
    spelled = {k.phrase for k in extract_keywords(text, ["Start Composting Today"]).keywords}
    assert "start composting" in {p.lower() for p in spelled}
    assert not any(p.startswith("Start") for p in spelled)
    assert "RainCatch" in " ".join(spelled) and "HMAC" in " ".join(spelled)
