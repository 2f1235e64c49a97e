"""``manage.py create_api_token USERNAME [--name NAME]``: issue an API token for a person.

Only the secret goes to standard output, so a script can keep it
(``TOKEN=$(python manage.py create_api_token reviewer --name ci)``); what it is
and how to use it goes to standard error. The secret is printed this once: only
its digest is stored. A user who does not exist, or cannot sign in, gets no
token and the command exits with status 2, like any other usage error.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from review.models import ApiToken

DEFAULT_NAME = "command line"
USAGE_ERROR = 2


class Command(BaseCommand):
    help = "Issue an API token for USERNAME and print its secret (shown once, never stored)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help="the person the token acts as")
        parser.add_argument(
            "--name", default=DEFAULT_NAME, help="what the token is for (shown in the admin)"
        )

    def handle(self, *args: Any, username: str, name: str, **options: Any) -> None:
        user = _active_user(username)
        name = _checked_name(name)
        token, secret = ApiToken.issue(user=user, name=name)
        self.stdout.write(secret)
        self.stderr.write(
            f"Issued API token {name!r} ({token.prefix}…) for {username}. This is the only "
            "time its secret is shown. Send it as: Authorization: Bearer <secret>"
        )


def _active_user(username: str) -> Any:
    model = get_user_model()
    try:
        user = model._default_manager.get_by_natural_key(username)
    except model.DoesNotExist:
        raise CommandError(f"no user named {username!r}", returncode=USAGE_ERROR) from None
    if not user.is_active:
        raise CommandError(
            f"{username!r} is inactive, so a token would not work; activate the user first",
            returncode=USAGE_ERROR,
        )
    return user


def _checked_name(name: str) -> str:
    name = name.strip()
    limit = ApiToken._meta.get_field("name").max_length or 100
    if not name or len(name) > limit:
        raise CommandError(f"--name must be 1 to {limit} characters", returncode=USAGE_ERROR)
    return name
