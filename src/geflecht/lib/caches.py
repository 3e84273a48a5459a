"""The shared cache of remembered answers, chosen by ``GEFLECHT_CACHE_URL``.

Whole-network answers (lib/remember.py) cost seconds; every process of an installation
should compute each one once, not once per process. So the default cache is a folder of
files in the data directory, which every web process and worker of the machine shares:
nothing to install, no server, and, unlike a cache table, no write that waits for the
app's own SQLite writes (SQLite has one writer at a time; a Louvain answer is megabytes).
Several machines share a Redis server instead (``redis://host:6379/0``).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

__all__ = ["cache_settings"]

#: Entries kept before the oldest third is dropped: one per tenant and kind of answer,
#: and a few per user and page (risk per organisation, reconnect, duplicates).
MAX_ENTRIES = 20_000


def cache_settings(url: str, data_dir: Path, *, prefix: str) -> dict[str, Any]:
    """Django's ``CACHES`` for ``url`` (empty: files under ``data_dir/cache``).

    ``file:///path``, ``redis://…`` / ``rediss://…`` or ``locmem://`` (one process
    only: tests). ``prefix`` keeps installations that share a Redis apart.
    """
    scheme = urlsplit(url).scheme if url else "file"
    options: dict[str, Any] = {"KEY_PREFIX": prefix}
    if scheme == "file":
        path = url.removeprefix("file://") if url else str(data_dir / "cache")
        cache = {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": path,
            "OPTIONS": {"MAX_ENTRIES": MAX_ENTRIES},
        }
    elif scheme in ("redis", "rediss"):
        if importlib.util.find_spec("redis") is None:
            raise ImproperlyConfigured(
                "GEFLECHT_CACHE_URL names a Redis server, but the redis package is not "
                "installed (pip install redis)"
            )
        cache = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    elif scheme == "locmem":
        cache = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    else:
        raise ImproperlyConfigured(
            f"GEFLECHT_CACHE_URL: unknown cache {scheme!r} "
            "(expected file:///path, redis://host:port/db or locmem://)"
        )
    return {"default": {**cache, **options, "TIMEOUT": 6 * 3600}}
