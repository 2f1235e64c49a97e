"""Text helpers shared by research, the writers and the demo: stopwords, term keys, phrases.

Competitor gaps, angle keywords, the offline writer's feedback rules and the demo
search all ask the same questions of text - is this word a stopword, are these two
spellings the same term, does this phrase occur in that text - and must answer them
the same way, or a keyword found by one step is "missing" in the next.
"""

from __future__ import annotations

import re

__all__ = [
    "STOPWORDS",
    "is_stopword",
    "normalise_words",
    "phrase_chunks",
    "phrase_in",
    "term_key",
    "word_count",
]

_STOPWORD_TEXT = """
    a about above across actually after afterwards again against all almost alone along already
    also although always am among amongst an and another any anybody anyhow anyone anything
    anyway anyways anywhere apart are aren't around as aside ask asking at away
    b back be became because become becomes becoming been before beforehand behind being below
    beside besides best better between beyond both brief but by
    c came can can't cannot cant certain certainly clearly come comes consider could couldn't
    d did didn't different do does doesn't doing don't done down during
    e each eg e.g either else elsewhere enough especially etc even ever every everybody everyone
    everything everywhere ex exactly example except
    f far few first five for former formerly forth four from further furthermore
    g get gets getting give given gives go goes going gone got gotten
    h had hadn't happens hardly has hasn't have haven't having he he'd he'll he's hello help
    hence her here here's hereafter hereby herein hers herself hi him himself his hither how
    how's however hundred
    i i'd i'll i'm i've ie i.e if ignored immediately in inc indeed instead into inward is isn't
    it it'd it'll it's its itself
    j just
    k keep keeps kept know known knows
    l last lately later latter least less lest let let's like liked likely little look looking
    looks lot lots ltd
    m mainly make makes making many may maybe me mean meanwhile might more moreover most mostly
    much must mustn't my myself
    n name namely near nearly necessary need needs neither never nevertheless new next nine no
    nobody non none nor normally not nothing now nowhere
    o obviously of off often oh ok okay old on once one ones only onto or other others otherwise
    ought our ours ourselves out over overall own
    p particular particularly per perhaps please plus possible pretty probably put
    q quite
    r rather really reasonably regarding regardless right
    s said same saw say saying says second see seeing seem seemed seeming seems seen self
    several shall shan't she she'd she'll she's should shouldn't since six so some somebody
    somehow someone something sometime sometimes somewhat somewhere soon sorry still such sure
    t take taken taking tell tends than thank thanks that that's thats the their theirs them
    themselves then thence there there's thereafter thereby therefore therein thereupon these
    they they'd they'll they're they've thing things think third this thorough thoroughly those
    though three through throughout thru thus to together too took toward towards tried tries
    truly try trying twice two
    u un under unless unlike unlikely until unto up upon us use used useful uses using usually
    v value various very via
    w want wants was wasn't way ways we we'd we'll we're we've well went were weren't what
    what's whatever when when's whence whenever where where's whereafter whereas whereby wherein
    whereupon wherever whether which while whither who who's whoever whole whom whose why why's
    will willing wish with within without won't wonder would wouldn't
    x
    y yes yet you you'd you'll you're you've your yours yourself yourselves
    z zero
"""
STOPWORDS: frozenset[str] = frozenset(_STOPWORD_TEXT.split())


def is_stopword(word: str) -> bool:
    """Case- and apostrophe-insensitive membership test."""
    return word.lower().replace("\u2019", "'") in STOPWORDS


_SENTENCE_END = re.compile(r"(?<=[.!?\u2026])[\"')\u201d\u2019]*\s+")
_TOKEN = re.compile(r"\d+(?:[.,:]\d+)+|[^\W_]+(?:['-][^\W_]+)*|[^\w\s]")
_WORDLIKE = re.compile(r"[^\W_]")


def _sentences(text: str) -> list[str]:
    """Lines first (outline text keeps one block per line), then sentence ends within them."""
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    found: list[str] = []
    for line in text.splitlines():
        found.extend(part for part in _SENTENCE_END.split(line) if part.strip())
    return found


def _chunks(sentence: str) -> list[list[str]]:
    """Runs of words between punctuation marks; keywords never cross a comma or a bracket."""
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
    """Lower case with a plural ``s`` dropped, as YAKE groups words."""
    key = word.lower()
    return key[:-1] if key.endswith("s") and len(key) > 3 else key


def normalise_words(text: str) -> list[str]:
    """Term keys for every word of ``text``; used to test whether a phrase appears somewhere."""
    text = text.replace("\u2019", "'")
    return [term_key(token) for token in _TOKEN.findall(text) if _WORDLIKE.search(token)]


def phrase_in(phrase: str, words: list[str]) -> bool:
    """Whether ``phrase`` occurs as consecutive words (plural-insensitive) in ``words``."""
    needle = normalise_words(phrase)
    if not needle:
        return False
    size = len(needle)
    return any(words[i : i + size] == needle for i in range(len(words) - size + 1))


_WORD = re.compile(r"[^\W_]+(?:['\u2019-][^\W_]+)*")


def word_count(text: str) -> int:
    """Words as a reader counts them: "don't" and "well-known" are one each."""
    return len(_WORD.findall(text))
