from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _install_roles(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    """After migrate (and after a test flush), the role groups exist with their permissions."""
    from review.roles import ensure_roles

    ensure_roles(using=using)


class ReviewConfig(AppConfig):
    name = "review"
    verbose_name = "Review"

    def ready(self) -> None:
        from review.live.notifier import notifier
        from workflows.engine import notify

        # The engine never imports review: it calls whoever subscribed, after commit.
        notify.subscribe(notifier)
        post_migrate.connect(_install_roles, sender=self, dispatch_uid="review-install-roles")
        from review import assignments
        from workflows.engine import ticker

        ticker.register(assignments.tick)  # review due times fire on the engine's ticker
