"""django-q2 entry points. They take ids and call the engine; nothing else."""

from __future__ import annotations


def run_execution(execution_id: int) -> None:
    from workflows.engine.worker import run_execution as run

    run(execution_id)
