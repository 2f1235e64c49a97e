"""A throw-away database of the configured kind, so benchmarks never touch real runs."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db import connection


class ScratchDatabase:
    """SQLite: a new file beside the configured one. PostgreSQL: a new database on its server."""

    def __init__(self, label: str, config: dict[str, Any] | None = None) -> None:
        self.label = f"{label}_{os.getpid()}"
        self.config = config if config is not None else settings.DATABASES["default"]
        self.is_sqlite = self.config["ENGINE"].endswith("sqlite3")
        if self.is_sqlite:
            self.path = Path(settings.VAR_DIR) / f"{self.label}.sqlite3"
            self.url = f"sqlite:///{self.path.resolve()}"
        else:
            self.name = f"{self.config['NAME']}_{self.label}"
            password = f":{self.config['PASSWORD']}" if self.config.get("PASSWORD") else ""
            host = f"{self.config.get('HOST') or '127.0.0.1'}:{self.config.get('PORT') or 5432}"
            query = _query(self.config.get("OPTIONS", {}))
            self.url = f"postgres://{self.config['USER']}{password}@{host}/{self.name}{query}"

    def create(self) -> None:
        self.drop()
        if not self.is_sqlite:
            with connection._nodb_cursor() as cursor:  # the server's maintenance database
                cursor.execute(f'CREATE DATABASE "{self.name}"')

    def drop(self) -> None:
        if self.is_sqlite:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            return
        with connection._nodb_cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    @property
    def kind(self) -> str:
        return "sqlite" if self.is_sqlite else "postgresql"


def _query(options: dict[str, Any]) -> str:
    """The configured connection options as the URL's query, so the benchmark's processes
    connect as the app does (TLS, prepared statements)."""
    given = {key: "none" if value is None else value for key, value in options.items()}
    return f"?{urlencode(given)}" if given else ""
