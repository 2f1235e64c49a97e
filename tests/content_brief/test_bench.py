"""``manage.py bench research`` reads every realistic page and writes the figures it
promises. Timings are for people to read (docs/benchmarks.md); the quality figures
are the research's targets, so they are held here."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

from django.core.management import call_command

from workflows.content_brief.demo.pages import page_cases


def test_bench_research_prints_a_table_and_writes_the_figures(tmp_path: Path) -> None:
    output = tmp_path / "research.json"
    out = StringIO()
    call_command("bench", "research", "--quick", "--json", str(output), stdout=out)
    table = out.getvalue()
    assert "heading_precision" in table and "page_ms_p95" in table
    figures = json.loads(output.read_text())
    pages = len(page_cases())
    assert figures["heading_precision"] == 1.0
    assert figures["heading_recall"] == 1.0
    assert figures["boilerplate_keywords_top10"] == 0
    assert figures["language_correct"] == pages
    assert 0 < figures["page_ms_p50"] <= figures["page_ms_p95"]
    assert len(figures["samples"]["page_ms"]) == pages * 3
    defaults = figures["trafilatura_defaults"]
    assert defaults["heading_recall"] < 1.0  # why our own heading pass exists
    assert figures["yake_same_top10"] == pages  # yake-rust gives the reference's keywords
