"""``manage.py bench research``: how well and how fast the research reads realistic pages.

Every realistic test page (``demo/pages.py``) is served by the app itself on a
loopback port and read as a run reads it: the safe fetcher, then the outline and
the keywords. Against each page's truth it reports

- heading precision (the share of extracted headings that are the article's) and
  recall (the share of the article's headings found);
- furniture words among the top 10 keywords (target 0);
- pages whose language was found right;
- time per page (fetch, outline and keywords), p50 and p95;

and, for the choices in docs/content-brief.md, the same figures for trafilatura's
defaults alone, and yake-rust against the reference ``yake`` package (speed, and
whether both give the same top 10) when ``yake`` is installed.
"""

from __future__ import annotations

import importlib.util
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import trafilatura
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
from django.core.wsgi import get_wsgi_application

from bench.report import Figure, Report
from workflows.content_brief.demo.pages import PageCase, page_cases
from workflows.content_brief.records import KeywordAnalysis
from workflows.content_brief.research.fetching import fetch_page
from workflows.content_brief.research.keywords import as_sentences, extract_keywords
from workflows.content_brief.research.outline import extract_outline
from workflows.content_brief.text import normalise_words, phrase_in, stopwords, yake_language
from workflows.percentiles import median, percentile

__all__ = ["run", "write"]

TOP = 10


@dataclass
class _Reading:
    """What one way of reading found on one page."""

    headings: list[tuple[int, str]]
    keywords: list[str]
    language: str = ""


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def _demo_site() -> Iterator[str]:
    """The app on a loopback port, as ``runserver`` would serve it, for the real fetcher."""
    server = ThreadedWSGIServer(("127.0.0.1", 0), _QuietHandler, allow_reuse_address=False)
    server.set_app(get_wsgi_application())
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _ours(html: str, url: str) -> _Reading:
    outline = extract_outline(html, url)
    keywords = extract_keywords(outline.text, outline.heading_texts(), language=outline.language)
    found: list[tuple[int, str]] = []

    def walk(nodes: list[Any]) -> None:
        for node in nodes:
            found.append((node.level, node.text))
            walk(node.children)

    walk(outline.headings)
    return _Reading(found, [k.phrase for k in keywords.keywords[:TOP]], outline.language)


def _trafilatura_defaults(html: str, url: str, language: str) -> _Reading:
    """trafilatura's main content with its defaults (comments left out), nothing of ours but
    YAKE on its text with the right stopwords."""
    document = trafilatura.bare_extraction(html, url=url, include_comments=False)
    if document is None or isinstance(document, dict):
        return _Reading([], [])
    headings = [
        (int(str(h.get("rend", "h2"))[1:] or 2), " ".join(h.xpath("string()").split()))
        for h in document.body.iter("head")
    ]
    keywords = extract_keywords(document.text or "", [], language=language)
    return _Reading(
        [(level, text) for level, text in headings if level <= 3], keywords_of(keywords)
    )


def keywords_of(analysis: KeywordAnalysis) -> list[str]:
    return [k.phrase for k in analysis.keywords[:TOP]]


def _furniture(keywords: list[str], case: PageCase) -> list[str]:
    top = [normalise_words(phrase) for phrase in keywords]
    return [term for term in case.boilerplate if any(phrase_in(term, words) for words in top)]


def _score(readings: dict[str, _Reading], cases: list[PageCase]) -> dict[str, Any]:
    extracted = correct = expected = found = 0
    furniture: dict[str, list[str]] = {}
    for case in cases:
        reading = readings[case.slug]
        truth = {text for _, text in case.headings}
        got = [text for _, text in reading.headings]
        extracted += len(got)
        correct += sum(text in truth for text in got)
        expected += len(truth)
        found += len(truth & set(got))
        furniture[case.slug] = _furniture(reading.keywords, case)
    return {
        "heading_precision": correct / extracted if extracted else 0.0,
        "heading_recall": found / expected if expected else 0.0,
        "boilerplate_keywords": sum(len(terms) for terms in furniture.values()),
        "boilerplate_by_page": furniture,
    }


def _timed(call: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = call()
    return (time.perf_counter() - started) * 1000, result


def _compare_yake(
    cases: list[PageCase], texts: dict[str, tuple[str, str]], rounds: int
) -> dict[str, Any]:
    """yake-rust and the reference yake on the same text and stopwords: time and agreement."""
    import yake
    import yake_rust

    rust_ms: list[float] = []
    python_ms: list[float] = []
    same = 0
    for case in cases:
        text, language = texts[case.slug]
        words = set(stopwords(language))
        prepared = as_sentences(text)
        reference = yake.KeywordExtractor(
            lan=yake_language(language) or "en", n=3, top=TOP, stopwords=words
        )
        fast = yake_rust.Yake(stopwords=words, ngrams=3, deduplication_threshold=0.9)
        reference.extract_keywords(prepared)  # first calls build caches
        fast.get_n_best(prepared, n=TOP)
        for _ in range(rounds):
            elapsed, expected = _timed(partial(reference.extract_keywords, prepared))
            python_ms.append(elapsed)
            elapsed, got = _timed(partial(fast.get_n_best, prepared, n=TOP))
            rust_ms.append(elapsed)
        same += [k for k, _ in expected] == [k for k, _ in got]
    return {"rust_ms": rust_ms, "python_ms": python_ms, "same_top": same}


def _every_page(key: str, value: int, pages: int) -> Figure:
    return Figure(key, value, "pages", pages, "all pages", lower_is_better=False)


def run(*, quick: bool) -> Report:
    cases = list(page_cases())
    rounds = 3 if quick else 10
    report = Report("research", {"pages": len(cases), "rounds": rounds, "quick": quick})
    ours: dict[str, _Reading] = {}
    defaults: dict[str, _Reading] = {}
    texts: dict[str, tuple[str, str]] = {}
    per_page_ms: list[float] = []
    medians: dict[str, float] = {}
    with _demo_site() as base:
        host = base.split("://", 1)[1]
        for case in cases:
            url = base + case.path

            def read(url: str = url) -> _Reading:
                page = fetch_page(url, allow_hosts={host})
                return _ours(page.html, page.final_url)

            read()  # warm-up: loads the language model and builds the extractors
            samples = []
            for _ in range(rounds):
                elapsed, ours[case.slug] = _timed(read)
                samples.append(elapsed)
            per_page_ms += samples
            medians[case.slug] = round(statistics.median(samples), 2)
            html = case.html()
            defaults[case.slug] = _trafilatura_defaults(html, url, case.language)
            outline = extract_outline(html, url)
            texts[case.slug] = (outline.text, outline.language)

    scored, baseline = _score(ours, cases), _score(defaults, cases)
    languages = sum(ours[c.slug].language == c.language for c in cases)
    for key in ("heading_precision", "heading_recall"):
        defaults_said = f"trafilatura defaults: {baseline[key]:.3f}"
        report.add(
            Figure(key, scored[key], "", 1.0, "target", lower_is_better=False, note=defaults_said)
        )
    report.add(
        Figure(
            "boilerplate_keywords_top10",
            scored["boilerplate_keywords"],
            "terms",
            note=f"target 0; trafilatura defaults: {baseline['boilerplate_keywords']}",
        )
    )
    report.add(_every_page("language_correct", languages, len(cases)))
    report.add(Figure("page_ms_p50", median(per_page_ms), "ms"))
    report.add(Figure("page_ms_p95", percentile(per_page_ms, 95), "ms"))
    report.samples["page_ms"] = per_page_ms
    report.extra["page_ms_median_by_page"] = medians
    report.extra["boilerplate_by_page"] = scored["boilerplate_by_page"]
    report.extra["trafilatura_defaults"] = baseline
    if importlib.util.find_spec("yake") is not None:
        yakes = _compare_yake(cases, texts, rounds)
        reference = median(yakes["python_ms"])
        report.add(
            Figure(
                "yake_rust_ms_p50",
                median(yakes["rust_ms"]),
                "ms",
                baseline=reference,
                baseline_name="yake (reference)",
            )
        )
        report.add(_every_page("yake_same_top10", yakes["same_top"], len(cases)))
    return report


def write(report: Report, json_path: Path | None, out: Any) -> None:
    report.print_table(out)
    if json_path is not None:
        report.write_json(json_path)
        out.write(f"\nwrote {json_path}\n")
