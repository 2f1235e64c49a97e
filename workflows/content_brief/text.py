"""Text helpers shared by research, the writers and the demo: stopwords, term keys, phrases.

Competitor gaps, angle keywords, the offline writer's feedback rules and the demo
search all ask the same questions of text - is this word a stopword, are these two
spellings the same term, does this phrase occur in that text - and must answer them
the same way, or a keyword found by one step is "missing" in the next.

Stopwords are YAKE's own lists (shipped inside ``yake-rust``), one per language, so
the words YAKE refuses as keyword edges are exactly the words the rest of the
pipeline ignores.

The text libraries (yake-rust here; trafilatura, lxml, py3langid and babel in the
research and writer modules) are imported where they are used, not when the
module is: every process imports the workflow at start-up, web servers included,
and a web server that never reads a page should not carry them. Loading them all
adds about 17,000 objects to a process, which each full garbage collection walks
(docs/benchmarks.md tells what that cost the live stream with psycopg).
"""

from __future__ import annotations

import re
from functools import cache

__all__ = [
    "DEFAULT_LANGUAGE",
    "YAKE_LANGUAGES",
    "as_sentence",
    "is_stopword",
    "normalise_words",
    "phrase_chunks",
    "phrase_count",
    "phrase_in",
    "stopwords",
    "term_key",
    "word_count",
    "yake_language",
]

DEFAULT_LANGUAGE = "en"
# The languages YAKE ships stopwords for, by YAKE's own codes. Asking yake-rust for any
# other code aborts the process (a Rust panic), so only these are ever passed to it.
YAKE_LANGUAGES = frozenset(
    "ar bg br cz da de el en es et fa fi fr hi hr hu hy id it ja lt lv nl no pl pt ro ru sk "
    "sl sv tr uk zh".split()
)
# ISO 639-1 codes that YAKE spells differently.
_YAKE_ALIASES = {"cs": "cz", "nb": "no", "nn": "no"}

_SENTENCE_END = re.compile(r"(?<=[.!?\u2026])[\"')\u201d\u2019]*\s+")
_TOKEN = re.compile(r"\d+(?:[.,:]\d+)+|[^\W_]+(?:['-][^\W_]+)*|[^\w\s]")
_WORDLIKE = re.compile(r"[^\W_]")
_WORD = re.compile(r"[^\W_]+(?:['\u2019-][^\W_]+)*")


def yake_language(language: str) -> str | None:
    """YAKE's code for an ISO 639-1 language ("de-DE" -> "de", "cs" -> "cz"), or None."""
    code = language.strip().lower().replace("_", "-").split("-", 1)[0]
    code = _YAKE_ALIASES.get(code, code)
    return code if code in YAKE_LANGUAGES else None


@cache
def stopwords(language: str = DEFAULT_LANGUAGE) -> frozenset[str]:
    """YAKE's stopwords for ``language``; none for a language YAKE has no list for."""
    code = yake_language(language)
    if code is None:
        return frozenset()
    import yake_rust  # see the module docstring

    return frozenset(word.lower() for word in yake_rust.Yake(language=code).stopwords)


def is_stopword(word: str, language: str = DEFAULT_LANGUAGE) -> bool:
    """Case- and apostrophe-insensitive membership test."""
    return word.lower().replace("\u2019", "'") in stopwords(language)


def _sentences(text: str) -> list[str]:
    """Lines first (outline text keeps one block per line), then sentence ends within them."""
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    found: list[str] = []
    for line in text.splitlines():
        found.extend(part for part in _SENTENCE_END.split(line) if part.strip())
    return found


def _chunks(sentence: str) -> list[list[str]]:
    """Runs of words between punctuation marks; a phrase never crosses a comma or a bracket."""
    chunks: list[list[str]] = [[]]
    for token in _TOKEN.findall(sentence):
        if _WORDLIKE.search(token):
            chunks[-1].append(token)
        elif chunks[-1]:
            chunks.append([])
    return [chunk for chunk in chunks if chunk]


def phrase_chunks(text: str) -> list[list[str]]:
    """Word runs a phrase can live in: split at sentence ends and punctuation."""
    return [chunk for sentence in _sentences(text) for chunk in _chunks(sentence)]


def term_key(word: str) -> str:
    """Lower case with a plural ``s`` dropped, so "Bins" and "bin" are one term."""
    key = word.lower()
    return key[:-1] if key.endswith("s") and len(key) > 3 else key


def normalise_words(text: str) -> list[str]:
    """Term keys for every word of ``text``; used to test whether a phrase appears somewhere."""
    text = text.replace("\u2019", "'")
    return [term_key(token) for token in _TOKEN.findall(text) if _WORDLIKE.search(token)]


def phrase_count(phrase: str, words: list[str]) -> int:
    """How often ``phrase`` occurs as consecutive words (plural-insensitive) in ``words``."""
    needle = normalise_words(phrase)
    if not needle:
        return 0
    size = len(needle)
    return sum(words[i : i + size] == needle for i in range(len(words) - size + 1))


def phrase_in(phrase: str, words: list[str]) -> bool:
    """Whether ``phrase`` occurs as consecutive words (plural-insensitive) in ``words``."""
    needle = normalise_words(phrase)
    if not needle:
        return False
    size = len(needle)
    return any(words[i : i + size] == needle for i in range(len(words) - size + 1))


def word_count(text: str) -> int:
    """Words as a reader counts them: "don't" and "well-known" are one each."""
    return len(_WORD.findall(text))


_CLOSING_QUOTES = "\"\u201c\u201d\u00bb '"  # English, German („…“), Spanish and French (« … »)


def as_sentence(text: str) -> str:
    """``text`` with a full stop, unless it already ends as a sentence: a quoted question or
    a quotation that ends with its own mark keeps that mark alone, never `?".` or `.”.`."""
    ended = text.rstrip(_CLOSING_QUOTES).endswith((".", "?", "!", "\u2026"))
    return text if ended else f"{text}."
