"""The approved brief downloads as Markdown, for people who may see its run."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from workflows.content_brief.workflow import WORKFLOW_ID
from workflows.models import RunStatus, WorkflowRun

pytestmark = pytest.mark.django_db

APPROVED = {"status": "approved", "markdown": "# Brief\n", "target_keyword": "compost tea"}


def brief_run(status: str = RunStatus.SUCCESS, result: dict | None = None, **extra) -> WorkflowRun:
    return WorkflowRun.objects.create(
        workflow_id=WORKFLOW_ID,
        definition_version="v",
        status=status,
        result=APPROVED if result is None else result,
        **extra,
    )


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_an_approved_brief_downloads_as_a_markdown_file(reviewer: User) -> None:
    run = brief_run()
    response = signed_in(reviewer).get(f"/runs/{run.pk}/download")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    name = f"brief-compost-tea-{run.short_id}.md"
    assert response["Content-Disposition"] == (
        f"attachment; filename=\"{name}\"; filename*=UTF-8''{name}"
    )
    assert response.content == b"# Brief\n"


def test_a_brief_still_in_review_is_a_conflict_with_the_reason(reviewer: User) -> None:
    run = brief_run(status=RunStatus.SUSPENDED, result={})
    response = signed_in(reviewer).get(f"/runs/{run.pk}/download")
    assert response.status_code == 409
    assert b"nothing to download" in response.content


def test_someone_who_may_not_see_the_run_gets_not_found(outsider: User, reviewer: User) -> None:
    run = brief_run(created_by=reviewer)
    assert signed_in(outsider).get(f"/runs/{run.pk}/download").status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in() -> None:
    run = brief_run()
    response = Client().get(f"/runs/{run.pk}/download")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_run_page_offers_the_download_once_approved_and_labels_a_rejection(
    reviewer: User,
) -> None:
    approved, rejected = brief_run(), brief_run(result={"status": "rejected", "reason": "no"})
    client = signed_in(reviewer)
    assert f"/runs/{approved.pk}/download" in client.get(f"/runs/{approved.pk}/").content.decode()
    page = client.get(f"/runs/{rejected.pk}/").content.decode()
    assert "/download" not in page and ">Rejected<" in page and "Reason: no" in page
