from __future__ import annotations

from django.apps import AppConfig
from django.conf import settings


class WorkflowsConfig(AppConfig):
    name = "workflows"
    verbose_name = "Workflows"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from workflows.engine import registry

        registry.load_modules(list(getattr(settings, "HANDOFF_WORKFLOW_MODULES", [])))
