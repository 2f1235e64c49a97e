"""API tokens: issued by a command or in the admin, shown once, stored only as a digest."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth.models import Permission, User
from django.core.management import ManagementUtility, call_command
from django.core.management.base import CommandError
from django.db import connections
from django.test import Client

from review import decisions
from review.models import ApiToken, DraftRevision
from review.roles import grant_role
from tests.review.conftest import make_user
from tests.review.test_api_actions import draft_flow
from workflows.engine.testing import run_workflow

pytestmark = pytest.mark.django_db

SECRET = re.compile(r"hnd_[A-Za-z0-9_-]{20,}")
TOKENS = "/admin/review/apitoken/"


def works(secret: str) -> bool:
    response = Client(HTTP_AUTHORIZATION=f"Bearer {secret}").get("/api/runs/")
    return response.status_code == 200


# ---------------------------------------------------------------- the command


def test_the_command_prints_only_the_secret_and_stores_only_its_digest(capsys) -> None:
    grant_role(make_user("rita"), "Reviewers")
    call_command("create_api_token", "rita", "--name", "ci")
    out, err = capsys.readouterr()
    secret = out.strip()
    assert SECRET.fullmatch(secret) and out == secret + "\n"
    token = ApiToken.objects.get()
    assert (token.name, token.user.username, token.prefix) == ("ci", "rita", secret[:12])
    assert token.digest == ApiToken.digest_of(secret) and secret not in token.digest
    assert token.prefix in err and "only time" in err
    assert works(secret)


def test_the_command_names_a_token_by_default_and_issues_a_new_one_each_time(capsys) -> None:
    make_user("rita")
    call_command("create_api_token", "rita")
    call_command("create_api_token", "rita")
    first, second = capsys.readouterr().out.split()
    assert first != second
    assert list(ApiToken.objects.values_list("name", flat=True)) == ["command line"] * 2


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["nobody"], "no user named 'nobody'"),
        (["idle"], "'idle' is inactive"),
        (["rita", "--name", "  "], "--name must be"),
        (["rita", "--name", "x" * 101], "--name must be"),
    ],
)
def test_the_command_refuses_with_exit_status_2_and_issues_nothing(
    argv: list[str], message: str, capsys, monkeypatch
) -> None:
    make_user("rita")
    User.objects.create_user("idle", is_active=False)
    with pytest.raises(CommandError) as raised:
        call_command("create_api_token", *argv)
    assert raised.value.returncode == 2 and message in str(raised.value)
    monkeypatch.setattr(connections, "close_all", lambda: None)  # keep the test database open
    with pytest.raises(SystemExit) as exited:
        ManagementUtility(["manage.py", "create_api_token", *argv]).execute()
    assert exited.value.code == 2
    out, err = capsys.readouterr()
    assert out == "" and message in err
    assert not ApiToken.objects.exists()


# ---------------------------------------------------------------- the admin


@pytest.fixture
def root() -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("root", "root@example.com", "pw"))
    return client


def add_token(client: Client, user: User, name: str = "deploy bot") -> tuple[Any, str]:
    response = client.post(f"{TOKENS}add/", {"user": user.pk, "name": name}, follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    found = SECRET.findall(page)
    assert len(set(found)) == 1, "the secret is shown, once"
    return response, found[0]


def test_the_add_form_asks_only_whom_and_what_for(root: Client) -> None:
    page = root.get(f"{TOKENS}add/").content.decode()
    assert 'name="user"' in page and 'name="name"' in page
    assert 'name="digest"' not in page and 'name="prefix"' not in page


def test_adding_a_token_in_the_admin_shows_its_secret_once(root: Client) -> None:
    rita = make_user("rita")
    response, secret = add_token(root, rita)
    token = ApiToken.objects.get()
    assert token.user == rita and token.name == "deploy bot"
    assert token.prefix == secret[:12] and token.digest == ApiToken.digest_of(secret)
    assert response.redirect_chain[-1][0] == TOKENS
    assert "not be shown again" in response.content.decode()
    assert works(secret)
    for url in (TOKENS, f"{TOKENS}{token.pk}/change/", f"{TOKENS}{token.pk}/history/"):
        page = root.get(url).content.decode()
        assert secret not in page and token.digest not in page, url


def test_the_list_shows_name_user_prefix_dates_and_revoked(root: Client) -> None:
    add_token(root, make_user("rita"))
    page = root.get(TOKENS).content.decode()
    for column in ("column-name", "column-user", "column-prefix", "column-created_at"):
        assert column in page
    assert "column-last_used_at" in page and "column-revoked" in page
    assert ApiToken.objects.get().prefix in page


def test_the_revoke_action_stops_a_token_at_once(root: Client) -> None:
    rita = make_user("rita")
    _, kept = add_token(root, rita, "kept")
    _, dropped = add_token(root, rita, "dropped")
    target = ApiToken.objects.get(name="dropped")
    response = root.post(TOKENS, {"action": "revoke", "_selected_action": [target.pk]}, follow=True)
    assert "1 API token(s) revoked." in response.content.decode()
    target.refresh_from_db()
    assert target.revoked_at is not None
    assert not works(dropped) and works(kept)
    stamped = target.revoked_at
    root.post(TOKENS, {"action": "revoke", "_selected_action": [target.pk]})
    target.refresh_from_db()
    assert target.revoked_at == stamped  # revoking again keeps when it was revoked
    assert "Revoked" in root.get(TOKENS, {"revoked": "yes"}).content.decode()
    active = root.get(TOKENS, {"revoked": "no"}).content.decode()
    assert "kept" in active and "dropped" not in active


def test_staff_may_issue_tokens_only_for_themselves(root: Client) -> None:
    clerk = make_user("clerk", staff=True)
    clerk.user_permissions.add(
        *Permission.objects.filter(codename__in=["add_apitoken", "view_apitoken"])
    )
    rita = make_user("rita")
    client = Client()
    client.force_login(clerk)
    refused = client.post(f"{TOKENS}add/", {"user": rita.pk, "name": "sneaky"})
    assert refused.status_code == 200 and not ApiToken.objects.exists()  # the form's error
    _, secret = add_token(client, clerk, "mine")
    assert ApiToken.objects.get().user == clerk and works(secret)


def test_draft_revisions_are_listed_searched_and_read_only(root: Client) -> None:
    editor = make_user("eddie")
    grant_role(editor, "Editors")
    run = run_workflow(draft_flow(), {"n": 1})
    decisions.save_draft(
        run_id=run.pk, actor=editor, text="Piece 1\nA compost heap.\n", base_revision=0
    )
    revision = DraftRevision.objects.get()
    url = "/admin/review/draftrevision/"
    assert "revision 1 of piece_review" in root.get(url).content.decode()
    assert "revision 1" in root.get(url, {"q": "compost"}).content.decode()
    assert "0 draft revisions" in root.get(url, {"q": "nothing like it"}).content.decode()
    page = root.get(f"{url}{revision.pk}/change/").content.decode()
    assert "A compost heap." in page and 'name="_save"' not in page
    assert root.get(f"{url}add/").status_code == 403
    assert root.post(f"{url}{revision.pk}/delete/", {"post": "yes"}).status_code == 403
    assert root.post(f"{url}{revision.pk}/change/", {"text": "changed"}).status_code == 403
    assert DraftRevision.objects.get().text == "Piece 1\nA compost heap.\n"
