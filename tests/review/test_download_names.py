"""A download's name survives any keyword: RFC 6266 ``filename*`` with an ASCII fallback."""

from __future__ import annotations

from urllib.parse import unquote

import pytest
from django.contrib.auth.models import User
from django.test import Client

from review.downloads import content_disposition
from workflows.content_brief.workflow import WORKFLOW_ID
from workflows.models import RunStatus, WorkflowRun

pytestmark = pytest.mark.django_db


def exact_name(header: str) -> str:
    return unquote(header.split("filename*=UTF-8''", 1)[1])


@pytest.mark.parametrize(
    "name",
    [
        "brief-kompost-für-anfänger.md",
        "brief-堆肥.md",
        "brief-🌱.md",
        'a"b\\c;d.md',
        "tab\tcr\r.md",
    ],
)
def test_any_name_gives_an_ascii_header_that_carries_it_exactly(name: str) -> None:
    header = content_disposition(name)
    header.encode("ascii")  # HTTP headers are Latin-1 at most; this stays ASCII
    assert "\r" not in header and "\n" not in header and "\t" not in header
    fallback = header.split('filename="', 1)[1].split('"; filename*=', 1)[0]
    assert '"' not in fallback and "\\" not in fallback
    assert exact_name(header) == name


def test_a_brief_with_a_non_ascii_keyword_downloads_under_its_name(reviewer: User) -> None:
    run = WorkflowRun.objects.create(
        workflow_id=WORKFLOW_ID,
        definition_version="v",
        status=RunStatus.SUCCESS,
        result={"status": "approved", "markdown": "# Brief\n", "target_keyword": "Kompost für 🌱"},
    )
    client = Client()
    client.force_login(reviewer)
    response = client.get(f"/runs/{run.pk}/download")
    assert response.status_code == 200
    assert exact_name(response["Content-Disposition"]) == f"brief-kompost-für-{run.short_id}.md"
    assert 'filename="brief-kompost-f_r-' in response["Content-Disposition"]
