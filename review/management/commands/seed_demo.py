"""``manage.py seed_demo [--runs --base-url URL]``: the demo's people, roles and runs.

Safe to run again: accounts are created once, demo runs only when there are none.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandParser

from review.roles import ensure_roles, grant_role
from workflows.content_brief import conf as content_brief_conf

DEMO_USERS = (
    ("admin", "Admins", True),
    ("reviewer", "Reviewers", False),
    ("editor", "Editors", False),
    ("viewer", "Viewers", False),
)
DEMO_ARTICLES = ("composting-at-home-beginners-guide", "fix-smelly-compost")


class Command(BaseCommand):
    help = "Create the demo accounts (one per role; password = username), and demo runs."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--runs", action="store_true", help="also start demo content briefs")
        parser.add_argument(
            "--base-url",
            default=content_brief_conf.DEMO_BASE_URL.get(),
            help="where this app serves /demo/ (the pages the demo briefs are about)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        ensure_roles()
        for username, group_name, is_admin in DEMO_USERS:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={"is_staff": is_admin, "is_superuser": is_admin},
            )
            if created:
                user.set_password(username)
                user.save()
            grant_role(user, group_name)
            if created:  # the password is shown once, when the account is made
                self.stdout.write(f"  {username:<9} ({group_name}) created; password: {username}")
            else:
                self.stdout.write(f"  {username:<9} ({group_name}) exists")
        if options["runs"]:
            self._start_runs(options["base_url"].rstrip("/"))

    def _start_runs(self, base_url: str) -> None:
        from workflows.content_brief.workflow import WORKFLOW_ID
        from workflows.engine import api

        if api.list_runs(workflow_id=WORKFLOW_ID).exists():
            self.stdout.write("  demo runs exist already")
            return
        reviewer = User.objects.get(username="reviewer")
        for slug in DEMO_ARTICLES:
            url = f"{base_url}/demo/articles/{slug}/"
            run = api.start_run(WORKFLOW_ID, {"url": url}, actor=reviewer)
            self.stdout.write(f"  started content brief {run.short_id} for {url}")
