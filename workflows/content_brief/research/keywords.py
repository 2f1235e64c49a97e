"""YAKE keyword extraction, and how well a page's headings cover the keywords it found.

YAKE (Campos et al., "YAKE! Keyword extraction from single documents using
multiple local features", Information Sciences 509, 2020) needs no corpus, no
model and no training, so it gives the same answer offline, in tests and in
production, and every score can be explained from the page alone. That matters
more to a reviewer than the last few points of accuracy.

Outline of the method as implemented here:

1. Split the text into sentences, each sentence into chunks at punctuation, each
   chunk into words. A word's *term* is its lower-case form with a plural ``s``
   dropped, so "Bins" and "bin" are scored together.
2. Score every term with five features:
   casing ``Cas = max(TF_acronym, TF_capitalised) / (1 + ln TF)``;
   position ``Pos = ln(ln(3 + median sentence index))``;
   frequency ``Freq = TF / (mean TF + stdev TF)`` over non-stopword terms;
   relatedness ``Rel = 1 + (DL + DR) * TF / max TF`` where ``DL`` (``DR``) is the
   number of different words seen immediately left (right) divided by how many
   times any word was seen there - a word that sits next to everything behaves
   like a stopword; different sentences ``DifSent = SF / number of sentences``.
   ``H = (Rel * Pos) / (Cas + Freq / Rel + DifSent / Rel)``; lower is better.
3. Candidates are 1-3 word n-grams inside one chunk that neither start nor end
   with a stopword and contain no numbers or odd tokens. A candidate's score is
   ``S = prod(H) / (TF_candidate * (1 + sum(H)))``; a stopword inside it (as in
   "signs of rot") contributes through how strongly it binds its neighbours
   (the paper's "bi" weighting) instead of through its own H.
4. Rank by ``S`` and drop any candidate too similar (Levenshtein ratio above
   ``dedup_threshold``) to one already kept.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from dataclasses import dataclass, field

from workflows.content_brief.records import Keyword, KeywordAnalysis
from workflows.content_brief.text import (
    _chunks,
    _sentences,
    is_stopword,
    normalise_words,
    phrase_in,
    term_key,
)

__all__ = ["RankedPhrase", "extract_keywords", "levenshtein_ratio", "yake_candidates"]

MAX_NGRAM = 3
DEDUP_THRESHOLD = 0.9
_DISCARDED_TAGS = frozenset({"d", "u"})  # numbers and unusual tokens never form keywords


def _tag(word: str, index_in_sentence: int) -> str:
    """YAKE's token tags: d=number, u=unusual, a=acronym, n=capitalised noun, p=plain."""
    digits = sum(c.isdigit() for c in word)
    if digits:  # without this guard "nan" and "Infinity" would count as numbers
        try:
            float(word.replace(",", ""))
        except ValueError:
            pass
        else:
            return "d"
    letters = sum(c.isalpha() for c in word)
    specials = sum(not c.isalnum() for c in word)
    if (digits and letters) or (not digits and not letters) or specials > 1:
        return "u"
    if len(word) > 1 and word.isupper():
        return "a"
    if index_in_sentence > 0 and word[0].isupper() and any(c.islower() for c in word[1:]):
        return "n"
    return "p"


# --- statistics -----------------------------------------------------------------------------


@dataclass
class _Term:
    key: str
    stopword: bool
    tf: int = 0
    tf_acronym: int = 0
    tf_capital: int = 0
    sentences: set[int] = field(default_factory=set)
    left: Counter[str] = field(default_factory=Counter)
    right: Counter[str] = field(default_factory=Counter)
    h: float = 0.0


@dataclass
class _Candidate:
    keys: tuple[str, ...]
    tf: int = 0
    surfaces: Counter[str] = field(default_factory=Counter)
    score: float = 0.0

    def phrase(self, terms: dict[str, _Term]) -> str:
        """Most common spelling, lower-cased except for words used as acronyms."""
        surface = self.surfaces.most_common(1)[0][0].split()
        shown = [
            word if terms[key].tf_acronym * 2 > terms[key].tf else word.lower()
            for word, key in zip(surface, self.keys, strict=True)
        ]
        return " ".join(shown)


@dataclass
class _Document:
    terms: dict[str, _Term] = field(default_factory=dict)
    pairs: Counter[tuple[str, str]] = field(default_factory=Counter)
    candidates: dict[str, _Candidate] = field(default_factory=dict)
    sentence_count: int = 0

    def term(self, word: str) -> _Term:
        key = term_key(word)
        found = self.terms.get(key)
        if found is None:
            stop = is_stopword(word) or is_stopword(key) or len(key.replace("'", "")) < 3
            found = self.terms[key] = _Term(key=key, stopword=stop)
        return found


def _read(text: str) -> _Document:
    doc = _Document()
    sentences = _sentences(text)
    doc.sentence_count = len(sentences)
    for s_index, sentence in enumerate(sentences):
        position = 0
        for chunk in _chunks(sentence):
            tags: list[str] = []
            keys: list[str] = []
            previous: tuple[_Term, str] | None = None
            for word in chunk:
                tag = _tag(word, position)
                position += 1
                term = doc.term(word)
                term.tf += 1
                term.tf_acronym += tag == "a"
                term.tf_capital += tag == "n"
                term.sentences.add(s_index)
                if previous and tag not in _DISCARDED_TAGS and previous[1] not in _DISCARDED_TAGS:
                    previous[0].right[term.key] += 1
                    term.left[previous[0].key] += 1
                    doc.pairs[(previous[0].key, term.key)] += 1
                previous = (term, tag)
                tags.append(tag)
                keys.append(term.key)
            _collect_candidates(doc, chunk, tags, keys)
    return doc


def _collect_candidates(doc: _Document, words: list[str], tags: list[str], keys: list[str]) -> None:
    for start in range(len(words)):
        for size in range(1, MAX_NGRAM + 1):
            end = start + size
            if end > len(words) or tags[end - 1] in _DISCARDED_TAGS:
                break
            if doc.terms[keys[start]].stopword or doc.terms[keys[end - 1]].stopword:
                continue
            surface = " ".join(words[start:end])
            candidate = doc.candidates.setdefault(
                surface.lower(), _Candidate(keys=tuple(keys[start:end]))
            )
            candidate.tf += 1
            candidate.surfaces[surface] += 1


def _score_terms(doc: _Document) -> None:
    valid_tfs = [t.tf for t in doc.terms.values() if not t.stopword] or [1]
    mean_tf = statistics.fmean(valid_tfs)
    std_tf = statistics.pstdev(valid_tfs)
    max_tf = max(t.tf for t in doc.terms.values())
    sentences = max(doc.sentence_count, 1)
    for term in doc.terms.values():
        left_total = sum(term.left.values())
        right_total = sum(term.right.values())
        dl = len(term.left) / left_total if left_total else 0.0
        dr = len(term.right) / right_total if right_total else 0.0
        relatedness = 1.0 + (dl + dr) * term.tf / max_tf
        casing = max(term.tf_acronym, term.tf_capital) / (1.0 + math.log(term.tf))
        position = math.log(math.log(3.0 + statistics.median(term.sentences)))
        frequency = term.tf / (mean_tf + std_tf)
        spread = len(term.sentences) / sentences
        term.h = (relatedness * position) / (
            casing + frequency / relatedness + spread / relatedness
        )


def _score_candidate(doc: _Document, candidate: _Candidate) -> float:
    product = 1.0
    total = 0.0
    keys = candidate.keys
    for i, key in enumerate(keys):
        term = doc.terms[key]
        if not term.stopword:
            product *= term.h
            total += term.h
            continue
        # A stopword inside the phrase: how reliably do its neighbours bring it along?
        before, after = doc.terms[keys[i - 1]], doc.terms[keys[i + 1]]
        p_left = doc.pairs[(before.key, key)] / before.tf if before.tf else 0.0
        p_right = doc.pairs[(key, after.key)] / after.tf if after.tf else 0.0
        binding = p_left * p_right
        product *= 1.0 + (1.0 - binding)
        total -= 1.0 - binding
    return product / ((total + 1.0) * candidate.tf)


def levenshtein_ratio(a: str, b: str) -> float:
    """1 - edit distance / longer length; 1.0 means identical."""
    if a == b:
        return 1.0
    if not a or not b:
        return 0.0
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i]
        for j, char_b in enumerate(b, start=1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b))
            )
        previous = current
    return 1.0 - previous[-1] / max(len(a), len(b))


def _similar(a: str, b: str, threshold: float) -> bool:
    # The edit distance is at least the length difference: skip the quadratic work when
    # that alone keeps the ratio at or below the threshold.
    longest = max(len(a), len(b))
    if longest and 1.0 - abs(len(a) - len(b)) / longest <= threshold:
        return False
    return levenshtein_ratio(a, b) > threshold


# --- public API -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RankedPhrase:
    phrase: str
    score: float
    occurrences: int


def yake_candidates(
    text: str, *, top: int = 15, dedup_threshold: float = DEDUP_THRESHOLD
) -> tuple[list[RankedPhrase], tuple[float, float]]:
    """The ``top`` deduplicated keywords, best first, and the (best, worst) score of all."""
    doc = _read(text)
    if not doc.candidates:
        return [], (0.0, 0.0)
    _score_terms(doc)
    scored = sorted(
        ((_score_candidate(doc, c), -len(c.keys), c.keys, c) for c in doc.candidates.values()),
        key=lambda row: row[:3],
    )
    kept: list[RankedPhrase] = []
    for score, _, _, candidate in scored:
        phrase = candidate.phrase(doc.terms)
        lowered = phrase.lower()
        if any(_similar(lowered, k.phrase.lower(), dedup_threshold) for k in kept):
            continue
        kept.append(RankedPhrase(phrase=phrase, score=score, occurrences=candidate.tf))
        if len(kept) >= top:
            break
    return kept, (scored[0][0], scored[-1][0])


def _relevance(score: float, best: float, worst: float) -> float:
    """Position of ``score`` between the document's worst (0) and best (1) on a log scale.

    YAKE scores span orders of magnitude and mean nothing across documents, so a
    reviewer gets a bounded, higher-is-better number relative to this page only.
    """
    if score <= 0 or best <= 0 or worst <= best:
        return 1.0
    value = (math.log(worst) - math.log(score)) / (math.log(worst) - math.log(best))
    return round(min(1.0, max(0.0, value)), 4)


def extract_keywords(text: str, headings: list[str], top: int = 15) -> KeywordAnalysis:
    """Rank the page's keywords and report which of them no heading mentions."""
    ranked, (best, worst) = yake_candidates(text, top=top)
    heading_words = [normalise_words(heading) for heading in headings]
    keywords = [
        Keyword(
            phrase=item.phrase,
            score=item.score,
            relevance=_relevance(item.score, best, worst),
            in_headings=any(phrase_in(item.phrase, words) for words in heading_words),
            occurrences=item.occurrences,
        )
        for item in ranked
    ]
    covered = sum(k.in_headings for k in keywords)
    return KeywordAnalysis(
        keywords=keywords,
        heading_coverage=round(covered / len(keywords), 4) if keywords else 0.0,
        missing_from_headings=[k.phrase for k in keywords if not k.in_headings],
    )
