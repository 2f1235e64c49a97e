"""Tell whether PostgreSQL and Redis answer at the URLs given; exit 0 if both do.

Used by .ci/test to decide whether to run the PostgreSQL + Redis pass (and, under
REQUIRE_SERVICES=1, to fail loudly when they are missing instead of skipping).
"""

from __future__ import annotations

import socket
import sys
from urllib.parse import urlsplit


def reachable(url: str, default_port: int) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection(
            (parts.hostname or "127.0.0.1", parts.port or default_port), 2
        ):
            return True
    except OSError:
        return False


def main(database_url: str, redis_url: str) -> int:
    missing = [
        name
        for name, url, port in (("PostgreSQL", database_url, 5432), ("Redis", redis_url, 6379))
        if not reachable(url, port)
    ]
    for name in missing:
        print(f"{name} does not answer", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1], sys.argv[2]))
