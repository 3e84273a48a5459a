"""Shared snapshot files at a million people: start-up, memory of N processes, lag.

Needs a PostgreSQL database of its own (it is migrated and filled by this script):

    GEFLECHT_DATABASE_URL=postgres://postgres@127.0.0.1:5432/geflecht_files_bench \\
        .venv/bin/python bench/bench_snapshot_files.py [--people 1000000] [--procs 4]

The graph is synthetic (``graph.social_graph``, mean degree 22 like the 1M demo, 0.2% of
the rows private), assembled into a snapshot by ``network.snapshot.assemble`` (the
in-memory half of a build from the database) and written by the real file writer with
the database's tenant and fingerprint; no Person rows are needed because a process that
finds the file never reads them. It measures:

(a) a fresh process (interpreter start, Django set-up, first ``current_graph`` and first
    path query) with the file present, against the same process building its snapshot
    in-process from the relationship rows as arrays (a lower bound of a build from the
    database, which also streams 11M rows: 27 s on the 1M SQLite demo, bench/README.md);
(b) the proportional set size (Pss, /proc/<pid>/smaps_rollup) of N processes that hold
    the snapshot at once, mapped from the file versus each built in its own memory;
(c) write-to-query lag across processes: one process commits a new relationship, another
    then answers a path query between its two people; time from the commit to the answer.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SRC = Path(__file__).resolve().parents[1] / "src"


def pss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1])
    raise RuntimeError("no Pss line")


# -- the child processes -------------------------------------------------------------------

CHILD = r"""
import json, os, sys, time
t0 = float(sys.argv[1]); mode = sys.argv[2]; tenant_id = int(sys.argv[3]); rows = sys.argv[4]
import django; django.setup()
import numpy as np
from geflecht import graph as engine
from geflecht.network import snapshot
engine.warm_up()
t1 = time.time()
if mode == "file":
    snap = snapshot.current_graph(tenant_id)
    assert snap.from_file, "the file was not used"
elif mode == "build":
    d = np.load(rows)
    snap = snapshot.assemble(tenant_id, snapshot.graph_version(tenant_id), d["person_ids"],
        d["private_owner"], d["a"], d["b"], d["strength"], d["owner"])
else:
    snap = None
if snap is not None:
    try:
        engine.best_path(snap.graph, 0, snap.n - 1)
    except engine.NoPath:
        pass
print(json.dumps({"first_answer_s": time.time() - t0, "snapshot_s": time.time() - t1}),
      flush=True)
if mode == "lag":
    snap = snapshot.current_graph(tenant_id)
    for line in sys.stdin:
        committed, a, b = json.loads(line)
        snap = snapshot.current_graph(tenant_id)
        x, y = snap.node(a), snap.node(b)
        path = engine.best_path(snap.graph, x, y)
        print(json.dumps({"lag_s": time.time() - committed, "direct": len(path.nodes) == 2}),
              flush=True)
else:
    sys.stdin.readline()  # hold the snapshot until the parent has measured us
"""


class Child:
    """A child process and its text pipes."""

    def __init__(self, popen: subprocess.Popen) -> None:
        assert popen.stdin is not None and popen.stdout is not None
        self.popen, self.pid = popen, popen.pid
        self.stdin, self.stdout = popen.stdin, popen.stdout

    def send(self, line: str) -> None:
        self.stdin.write(line + "\n")
        self.stdin.flush()

    def wait(self) -> int:
        return self.popen.wait()


def spawn(mode: str, tenant_id: int, rows: Path, env: dict) -> Child:
    popen = subprocess.Popen(
        [sys.executable, "-c", CHILD, repr(time.time()), mode, str(tenant_id), str(rows)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    return Child(popen)


def first_answers(mode: str, procs: int, tenant_id: int, rows: Path, env: dict):
    """Start ``procs`` processes one after another (as a server's workers start); return
    each one's time to its first answer and, with all alive, their Pss in MB."""
    children, times = [], []
    for _ in range(procs):
        child = spawn(mode, tenant_id, rows, env)
        times.append(json.loads(child.stdout.readline()))
        children.append(child)
    pss = [pss_kb(c.pid) / 1024 for c in children]
    for c in children:
        c.send("")
        c.wait()
    return times, pss


@dataclass
class _Rel:
    """The columns of a relationship that the change log records."""

    person_a_id: int
    person_b_id: int
    strength: float
    owner_id: int | None = None
    visibility: str = "company"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--procs", type=int, default=4)
    parser.add_argument("--writes", type=int, default=200)
    args = parser.parse_args()
    if not os.environ.get("GEFLECHT_DATABASE_URL", "").startswith("postgres"):
        sys.exit("set GEFLECHT_DATABASE_URL to a PostgreSQL database of its own")
    work = Path(tempfile.mkdtemp(prefix="geflecht-files-bench-"))
    os.environ.setdefault("GEFLECHT_DATA_DIR", str(work))
    os.environ["GEFLECHT_SNAPSHOT_DIR"] = str(work / "snapshots")
    os.environ["DJANGO_SETTINGS_MODULE"] = "geflecht.settings"
    sys.path.insert(0, str(SRC))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction

    from geflecht.accounts.models import Tenant
    from geflecht.graph import social_graph
    from geflecht.network import snapshot
    from geflecht.network.actions import bump_graph_version

    call_command("migrate", verbosity=0)
    slug = f"bench-{os.getpid()}"
    tenant = Tenant.objects.create(name="Bench", slug=slug)
    with transaction.atomic():
        bump_graph_version(tenant.id, [_Rel(1, 2, 0.5)])  # type: ignore[list-item]

    t = time.perf_counter()
    G = social_graph(args.people, mean_degree=22, seed=1)
    a, b, s = G.edges()
    rng = np.random.default_rng(2)
    owner = np.where(rng.random(len(a)) < 0.002, 1, 0).astype(np.int64)
    n = G.n
    person_ids = np.arange(1, n + 1, dtype=np.int64)
    private_owner = np.zeros(n, dtype=np.int64)
    rows = work / "rows.npz"
    np.savez(
        rows, person_ids=person_ids, private_owner=private_owner, a=a, b=b, strength=s, owner=owner
    )
    del G
    t = time.perf_counter()
    snap = snapshot.assemble(
        tenant.id, snapshot.graph_version(tenant.id), person_ids, private_owner, a, b, s, owner
    )
    assembled = time.perf_counter() - t
    t = time.perf_counter()
    assert snapshot.write_file(snap)
    wrote = time.perf_counter() - t
    size = sum(f.stat().st_size for f in snapshot.tenant_dir(tenant.id).rglob("*")) / 2**20
    print(
        f"people {n:,}, relationships {snap.graph.m:,} ({int(owner.sum()):,} private rows); "
        f"assembled in {assembled:.1f} s; file {size:.0f} MB written in {wrote:.1f} s"
    )
    del snap
    snapshot.forget()
    env = {**os.environ, "PYTHONPATH": str(SRC), "GEFLECHT_TASKS_AT_ONCE": "0"}

    # Warm the page cache and numba's on-disk cache once, as a running server has them.
    first_answers("file", 1, tenant.id, rows, env)
    base_t, base_pss = first_answers("none", 1, tenant.id, rows, env)
    file_t, file_pss = first_answers("file", args.procs, tenant.id, rows, env)
    build_t, build_pss = first_answers("build", args.procs, tenant.id, rows, env)
    start = statistics.median(t["first_answer_s"] for t in base_t)
    print(
        f"\n(a) fresh process to its first path query; interpreter, Django and the engine's "
        f"compiled kernels alone take {start:.1f} s on this (shared, loaded) machine"
    )
    for name, ts in (("file present", file_t), ("built in-process", build_t)):
        snap_s = [t["snapshot_s"] for t in ts]
        total = [t["first_answer_s"] for t in ts]
        print(
            f"  {name:17s}: snapshot + first query median {statistics.median(snap_s):.2f} s "
            f"(max {max(snap_s):.2f} s); from process start {statistics.median(total):.1f} s"
        )
    ratio = statistics.median(t["snapshot_s"] for t in build_t) / statistics.median(
        t["snapshot_s"] for t in file_t
    )
    print(
        f"  building is {ratio:.0f}x slower, from rows already in memory "
        "(from the database add the streaming of the rows)"
    )
    print(f"\n(b) Pss of {args.procs} processes holding the snapshot at once")
    print(f"  bare process (Django, numpy, numba): {base_pss[0]:.0f} MB")
    for name, pss in (("mapped file", file_pss), ("own copy", build_pss)):
        print(
            f"  {name:12s}: total {sum(pss):.0f} MB, per process "
            + ", ".join(f"{p:.0f}" for p in pss)
            + f"; snapshot share {sum(pss) - args.procs * base_pss[0]:.0f} MB"
        )
    print(f"  ratio own copies / mapped file: {sum(build_pss) / sum(file_pss):.1f}x total")

    reader = spawn("lag", tenant.id, rows, env)
    reader.stdout.readline()
    lags, direct = [], 0
    pairs = rng.integers(1, n + 1, size=(args.writes, 2))
    for x, y in pairs.tolist():
        if x == y:
            continue
        with transaction.atomic():
            bump_graph_version(tenant.id, [_Rel(min(x, y), max(x, y), 0.999)])  # type: ignore[list-item]
        committed = time.time()
        reader.send(json.dumps([committed, x, y]))
        got = json.loads(reader.stdout.readline())
        lags.append(got["lag_s"] * 1000)
        direct += got["direct"]
    reader.stdin.close()  # the reader stops at the end of its input
    reader.wait()
    print(
        f"\n(c) write in one process -> path query in another: median "
        f"{statistics.median(lags):.0f} ms, p99 {np.percentile(lags, 99):.0f} ms "
        f"({direct}/{len(lags)} answers saw the new relationship)"
    )
    Tenant.objects.filter(pk=tenant.id).delete()


if __name__ == "__main__":
    main()
