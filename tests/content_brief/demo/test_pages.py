from __future__ import annotations

import pytest
from django.test import Client

from workflows.content_brief.demo.pages import page_case, page_cases, page_html


def test_every_case_has_its_page_and_its_truth() -> None:
    cases = page_cases()
    assert len({case.slug for case in cases}) == len(cases) >= 8
    for case in cases:
        assert "</html>" in case.html() or case.slug == "pruning-fruit-trees"  # broken on purpose
        assert case.headings and all(1 <= level <= 3 for level, _ in case.headings)
        assert case.boilerplate
        assert case.language in {"en", "de", "es"}
    assert page_case("nope") is None


@pytest.mark.parametrize("slug", ["../pages", "nope", "", "Raised-Bed-Kit", "a/b", "pages.json"])
def test_page_html_reads_only_listed_pages(slug: str) -> None:
    assert page_html(slug) is None


def test_the_demo_site_serves_the_pages_as_stored(client: Client) -> None:
    case = page_cases()[0]
    response = client.get(case.path)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert response.content.decode() == case.html()
    assert client.get("/demo/pages/nope/").status_code == 404
    index = client.get("/demo/").content.decode()
    assert all(f'href="pages/{c.slug}/"' in index for c in page_cases())
