"""A real browser (Debian's Chromium driven by Playwright) against daphne and a worker cluster."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.db import connections
from django.test import Client

from tests.conftest import need
from tests.integration import conftest as integration

# The real-process fixtures (daphne, a worker cluster) are shared with tests/integration.
daphne = integration.daphne
start_cluster = integration.start_cluster

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(autouse=True)
def allow_orm_under_playwright(monkeypatch: pytest.MonkeyPatch) -> None:
    # Playwright's sync API keeps an event loop running in this thread (playwright-pytest#29).
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def chromium() -> Iterator[Any]:
    """Per test: Playwright's sync API runs an event loop in this thread while it is
    open, which would break every later test that is not a browser test."""
    executable = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")
    need("Chromium", bool(executable), "`chromium` is not on PATH (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        need("Playwright", False, "the playwright package is not installed (test extras)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        # ORM calls made while Playwright's loop runs get their own connection
        # (asgiref locals follow the context); close it so the test database can go.
        connections.close_all()
        browser.close()


@pytest.fixture
def signed_in_page(chromium: Any, daphne: Any, transactional_db: None) -> Iterator[Any]:
    """A browser page with a reviewer's session cookie for the daphne under test."""
    user = User.objects.create_user("rita", password="rita")
    user.groups.add(Group.objects.get_or_create(name="Reviewers")[0])
    client = Client()
    client.force_login(user)
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": daphne.url}]
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def screenshot(page: Any, name: str) -> None:
    """Keep a picture when HANDOFF_SCREENSHOTS names a folder (to look at the pages)."""
    folder = os.environ.get("HANDOFF_SCREENSHOTS")
    if folder:
        os.makedirs(folder, exist_ok=True)
        page.screenshot(path=os.path.join(folder, f"{name}.png"), full_page=True)
