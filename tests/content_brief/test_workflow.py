"""Loading the workflow, as every process does at start-up, leaves the text libraries out."""

from __future__ import annotations

import os
import subprocess
import sys

from django.conf import settings

HEAVY = ("trafilatura", "lxml", "numpy", "py3langid", "babel", "yake_rust", "htmldate")

PROBE = f"""
import sys
import django
django.setup()
import workflows.content_brief.workflow
import workflows.content_brief.presentation
loaded = sorted({{name.split(".")[0] for name in sys.modules}} & set({HEAVY!r}))
print(",".join(loaded))
"""


def test_importing_the_workflow_loads_no_text_library() -> None:
    completed = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"},
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == ""
