from __future__ import annotations

from django.apps import AppConfig


class ReviewConfig(AppConfig):
    name = "review"
    verbose_name = "Review"

    def ready(self) -> None:
        from review.live.notifier import notifier
        from workflows.engine import notify

        # The engine never imports review: it calls whoever subscribed, after commit.
        notify.subscribe(notifier)
