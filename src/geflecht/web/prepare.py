"""Start-up preparation: what the first users of a fresh server process would wait for.

A server process keeps each tenant's graph snapshot, search index, counts and
communities in memory. Building them reads the whole network (seconds at 100,000
people), so a new process prepares them in a background thread while it already
serves requests; a request that arrives first simply builds what it needs itself.

Why this stays a thread of the web process and is not a job on the task queue: what it
builds is mostly this process's own memory, the graph snapshot and the search index,
which a worker in another process cannot fill. (The snapshot is being rewritten into
memory-mapped files shared by all processes, network/snapshot.py; once that lands, its
part here only maps the files and may go.) The communities and the counts go to the
shared cache (lib/remember.py, lib/caches.py): the first process of a graph version
computes them, every later one finds them there, so warming them here costs a cache
read after the first process.
"""

from __future__ import annotations

import logging
import threading
import time

from django.db import close_old_connections, connection

log = logging.getLogger(__name__)


def prepare(tenant_ids: list[int] | None = None) -> dict[int, float]:
    """Build the per-process caches of each tenant; return the seconds spent per tenant."""
    from geflecht.accounts.models import Tenant, User
    from geflecht.network.communities import communities_of
    from geflecht.network.queries import tenant_overview
    from geflecht.network.snapshot import current_graph
    from geflecht.people.queries import tenant_search_index

    spent = {}
    if tenant_ids is None:
        tenant_ids = list(Tenant.objects.values_list("pk", flat=True))
    for tenant_id in tenant_ids:
        start = time.perf_counter()
        snap = current_graph(tenant_id)
        tenant_search_index(tenant_id)
        communities_of(snap)
        user = User.objects.filter(tenant_id=tenant_id, is_active=True).first()
        if user is not None:
            tenant_overview(user)  # counts are kept per tenant, summed per user
        spent[tenant_id] = time.perf_counter() - start
    return spent


def prepare_in_background() -> threading.Thread:
    def run() -> None:
        try:
            close_old_connections()
            for tenant_id, seconds in prepare().items():
                log.info("tenant %s prepared in %.1f s", tenant_id, seconds)
        except Exception:  # a request builds what it needs itself
            log.exception("start-up preparation failed")
        finally:
            connection.close()

    thread = threading.Thread(target=run, name="geflecht prepare", daemon=True)
    thread.start()
    return thread
