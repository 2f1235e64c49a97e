"""A page's keywords (YAKE), and how well its headings cover them.

YAKE (Campos et al., Information Sciences 509, 2020) needs no corpus, no model and
no training, so it gives the same answer offline, in tests and in production, and
every score can be explained from the page alone. The ranking comes from
``yake-rust``: on the test pages it returns the reference ``yake`` package's
keywords in the same order with the same scores, about five times faster
(docs/content-brief.md, "Keywords").

On top of YAKE's ranking the brief adds what an editor needs: a 0..1 relevance
(YAKE scores are "lower is better" and mean nothing across pages), how often each
keyword occurs, whether a heading mentions it, and which top keywords no heading
covers.
"""

from __future__ import annotations

from collections import Counter
from functools import cache
from typing import TYPE_CHECKING

from workflows.content_brief.records import Keyword, KeywordAnalysis
from workflows.content_brief.text import (
    DEFAULT_LANGUAGE,
    normalise_words,
    phrase_count,
    phrase_in,
    stopwords,
)

if TYPE_CHECKING:
    import yake_rust

__all__ = ["MAX_NGRAM", "as_sentences", "extract_keywords", "yake_keywords"]

MAX_NGRAM = 3
DEDUP_THRESHOLD = 0.9
_ENDS = frozenset(".!?:;\u2026")
_PUNCTUATION = ".,;:!?()[]{}\"'\u201c\u201d\u2018\u00ab\u00bb\u201e"


@cache
def _extractor(language: str) -> yake_rust.Yake:
    """One extractor per language; building one copies its stopword list."""
    import yake_rust  # imported where used: see workflows/content_brief/text.py

    return yake_rust.Yake(
        stopwords=set(stopwords(language)),
        ngrams=MAX_NGRAM,
        deduplication_threshold=DEDUP_THRESHOLD,
    )


def _sentence(line: str) -> str:
    line = line[:1].upper() + line[1:]
    return line if line[-1] in _ENDS else f"{line}."


def as_sentences(text: str) -> str:
    """Make every line a sentence of its own: capitalised, and ending with a full stop
    unless it has its own punctuation.

    The outline's text has one block per line, and a heading or a byline has no full
    stop. YAKE splits sentences at a full stop followed by a capital only, so without
    this "Configuring webhooks" would run into the paragraph under it ("webhooks
    Webhooks"), and "... in Winter" into "by Geoff Marsh".
    """
    return "\n".join(_sentence(line) for line in map(str.strip, text.splitlines()) if line)


def yake_keywords(
    text: str, language: str = DEFAULT_LANGUAGE, top: int = 15
) -> list[tuple[str, float]]:
    """YAKE's ``top`` keywords of ``text`` as (phrase as written, score), best first."""
    if not text.strip():
        return []
    return _extractor(language).get_n_best(as_sentences(text), n=top)


def _usual_spelling(text: str, headings: list[str]) -> dict[str, str]:
    """Each word's most frequent spelling in running text, by its lower-case form.

    YAKE returns a phrase as it first met it, often capitalised at a sentence start
    ("Pinching"). Showing each word as the page usually writes it keeps German nouns
    and acronyms capitalised and everything else in lower case. Capitals that only
    the position gives (a sentence's first word, a Title Case heading) do not count:
    a word the page writes only there is shown in lower case, unless it has capitals
    inside it (an acronym, a brand such as "RainCatch").
    """
    heading_lines = {" ".join(heading.split()) for heading in headings}
    free: Counter[str] = Counter()
    forced: Counter[str] = Counter()
    for line in text.replace("\u2019", "'").splitlines():
        in_heading = " ".join(line.split()) in heading_lines
        starts_sentence = True
        for raw in line.split():
            word = raw.strip(_PUNCTUATION)
            if word:
                (forced if in_heading or starts_sentence else free)[word] += 1
            starts_sentence = raw[-1] in _ENDS
    spelling: dict[str, tuple[int, bool, str]] = {}
    for word in free:
        rank = (free[word], word.islower(), word)  # on a tie, lower case
        if rank > spelling.get(word.lower(), (0, False, "")):
            spelling[word.lower()] = rank
    shown = {key: rank[-1] for key, rank in spelling.items()}
    for word in forced:  # only ever capitalised by its position: an ordinary word
        inner_capitals = any(c.isupper() for c in word[1:])  # "HMAC", "RainCatch"
        shown.setdefault(word.lower(), word if inner_capitals else word.lower())
    return shown


def _shown(phrase: str, spelling: dict[str, str]) -> str:
    return " ".join(spelling.get(word.lower(), word) for word in phrase.split())


def _relevance(score: float, best: float) -> float:
    """The best keyword's score divided by this one's: 1.0 for the best, toward 0 after.

    YAKE scores span orders of magnitude and mean nothing across documents, so a
    reviewer gets a bounded, higher-is-better number relative to this page only.
    """
    if score <= 0 or best <= 0:
        return 1.0
    return round(min(1.0, best / score), 4)


def extract_keywords(
    text: str, headings: list[str], top: int = 15, *, language: str = DEFAULT_LANGUAGE
) -> KeywordAnalysis:
    """Rank the page's keywords with the page language's stopwords, and report which of
    them no heading mentions."""
    ranked = yake_keywords(text, language, top)
    spelling = _usual_spelling(text, headings)
    words = normalise_words(text)
    heading_words = [normalise_words(heading) for heading in headings]
    best = ranked[0][1] if ranked else 0.0
    keywords = [
        Keyword(
            phrase=_shown(phrase, spelling),
            score=score,
            relevance=_relevance(score, best),
            in_headings=any(phrase_in(phrase, found) for found in heading_words),
            occurrences=max(1, phrase_count(phrase, words)),
        )
        for phrase, score in ranked
    ]
    covered = sum(k.in_headings for k in keywords)
    return KeywordAnalysis(
        keywords=keywords,
        heading_coverage=round(covered / len(keywords), 4) if keywords else 0.0,
        missing_from_headings=[k.phrase for k in keywords if not k.in_headings],
        language=language,
    )
