from __future__ import annotations

from django.apps import AppConfig


class WorkflowsConfig(AppConfig):
    name = "workflows"
    verbose_name = "Workflows"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django_q.signals import post_spawn

        from workflows.engine import conf, registry, ticker

        registry.load_modules(conf.WORKFLOW_MODULES.get())
        # Every worker of any cluster (plain qcluster too) runs a ticker: docs/engine.md.
        post_spawn.connect(ticker.start_in_worker, dispatch_uid="handoff-ticker")
