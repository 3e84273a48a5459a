"""Benchmark of the strength model: full recomputation and incremental updates.

* Full recomputation: ``--interactions`` (default 10 million) seeded synthetic interaction-pair
  rows over ``--pairs`` pairs (default 1 million) and five years, with a realistic channel mix
  (mostly e-mail), group sizes, durations and initiators; timed for one vectorised
  :func:`bulk_strengths` call and for the streamed form a background command uses
  (:func:`bulk_decayed_sums` in chunks with a tqdm progress bar, then
  :func:`strengths_from_sums`). Peak memory: tracemalloc (numpy reports its buffers to it)
  and the process's peak RSS.
* Incremental: a new 20-person meeting touches 190 pairs; time to update their
  :class:`PairState` and read the new strengths (the model part of "within a second").

* ``--database``: the same on a real database (a large ``geflecht demo``): ``geflecht
  strengths``' recomputation with its progress bar, then new meetings recorded through
  ``record_interaction`` on existing pairs (median and worst of 20).

Run: ``python bench/bench_strength.py`` (``--interactions 1000000`` for a quick look), or
``GEFLECHT_DATA_DIR=... python bench/bench_strength.py --database``.
"""

from __future__ import annotations

import argparse
import platform
import resource
import time
import tracemalloc
from datetime import UTC, datetime, timedelta

import numpy as np
from tqdm import tqdm

from geflecht.network.strength import (
    CHANNELS,
    Evidence,
    PairState,
    StrengthParams,
    bulk_decayed_sums,
    bulk_strengths,
    days_since_epoch,
    empty_sums,
    state_strength,
    strengths_from_sums,
    update_state,
)

NOW = datetime(2026, 11, 22, tzinfo=UTC)


def synthetic(m: int, n_pairs: int, seed: int = 2026) -> dict[str, np.ndarray]:
    """Seeded interaction-pair rows; the channel mix is dominated by e-mail, as in real CRMs."""
    rng = np.random.default_rng(seed)
    channel_mix = {
        "meeting": 0.06,
        "video": 0.06,
        "phone": 0.10,
        "email": 0.55,
        "message": 0.15,
        "event": 0.04,
        "document": 0.04,
    }
    probs = np.array([channel_mix[c] for c in CHANNELS])
    channel = rng.choice(len(CHANNELS), size=m, p=probs / probs.sum()).astype(np.int8)
    # Skewed pair activity: a few pairs carry many interactions.
    pair = (rng.pareto(1.2, m) * n_pairs / 50).astype(np.int64) % n_pairs
    group = np.where(rng.random(m) < 0.7, 2, 2 + rng.geometric(0.15, m)).astype(np.int32)
    group[channel == CHANNELS.index("event")] += 100
    duration = np.where(channel <= CHANNELS.index("phone"), rng.gamma(2.0, 20.0, m), np.nan)
    now_days = days_since_epoch(NOW)
    return {
        "pair_index": pair,
        "occurred_at_days": now_days - rng.uniform(0, 5 * 365, m),
        "channel_code": channel,
        "group_size": group,
        "duration": duration,
        "initiator": rng.integers(0, 3, m).astype(np.int8),
        "is_bulk": rng.random(m) < 0.01,
    }


def bench_full(m: int, n_pairs: int, chunk: int) -> dict[str, float]:
    rows = synthetic(m, n_pairs)
    now_days = days_since_epoch(NOW)
    params = StrengthParams()
    is_bulk = rows.pop("is_bulk")

    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    started = time.perf_counter()
    values = bulk_strengths(
        **rows, now_days=now_days, n_pairs=n_pairs, params=params, is_bulk=is_bulk
    )
    one_call = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()

    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    started = time.perf_counter()
    sums = empty_sums(n_pairs)
    with tqdm(total=m, unit="rows", unit_scale=True, desc="recompute") as bar:
        for lo in range(0, m, chunk):
            part = {k: v[lo : lo + chunk] for k, v in rows.items()}
            bulk_decayed_sums(
                **part,
                now_days=now_days,
                n_pairs=n_pairs,
                params=params,
                is_bulk=is_bulk[lo : lo + chunk],
                out=sums,
            )
            bar.update(len(part["pair_index"]))
    streamed_values = strengths_from_sums(sums, params, now_days=now_days)
    streamed = time.perf_counter() - started
    streamed_peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    assert np.allclose(values, streamed_values, rtol=1e-9)
    touched = np.unique(rows["pair_index"]).size
    return {
        "one_call_s": one_call,
        "streamed_s": streamed,
        "peak_mib": peak / 2**20,
        "streamed_peak_mib": streamed_peak / 2**20,
        "input_mib": sum(v.nbytes for v in rows.values()) / 2**20 + is_bulk.nbytes / 2**20,
        "pairs_with_rows": touched,
        "median_strength": float(
            np.median(values[np.bincount(rows["pair_index"], minlength=n_pairs) > 0])
        ),
    }


def bench_incremental(participants: int = 20, history: int = 200) -> dict[str, float]:
    """One new meeting with ``participants`` people updates every pair among them."""
    rng = np.random.default_rng(1)
    params = StrengthParams()
    pairs = participants * (participants - 1) // 2
    states = []
    for _ in range(pairs):
        state = PairState()
        for d in rng.uniform(1, 1000, history // 10):
            state = update_state(
                state,
                Evidence(NOW - timedelta(days=float(d)), "email", initiator="a"),
                params,
                now=NOW,
            )
        states.append(state)
    meeting = Evidence(
        NOW - timedelta(minutes=1), "meeting", group_size=participants, duration_minutes=60
    )
    started = time.perf_counter()
    new = [update_state(s, meeting, params, now=NOW) for s in states]
    values = [state_strength(s, now=NOW, params=params) for s in new]
    seconds = time.perf_counter() - started
    assert all(0 < v <= 1 for v in values)
    return {"pairs": pairs, "seconds": seconds}


def bench_database(repeats: int = 20) -> None:
    """On the database of ``GEFLECHT_DATABASE_URL`` / ``GEFLECHT_DATA_DIR`` (e.g. a large
    ``geflecht demo``): the full recomputation as ``geflecht strengths`` runs it, then new
    meetings recorded through ``record_interaction`` (first one per pair after the full
    recomputation rebuilds the pair's state from its history; later ones are O(1))."""
    import os
    import statistics

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geflecht.settings")
    django.setup()
    from django.db import connection
    from django.utils import timezone

    from geflecht.accounts.models import Tenant
    from geflecht.network.actions import recompute_all_strengths, record_interaction
    from geflecht.network.models import Interaction, Relationship

    tenant = Tenant.objects.order_by("id").first()
    if tenant is None:
        raise SystemExit("No tenant: run geflecht demo first.")
    n_inter = Interaction.objects.filter(tenant=tenant).count()
    print(f"database: {connection.vendor}; {n_inter:,} interactions")
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    with tqdm(desc="strengths", unit=" interactions", unit_scale=True) as bar:

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        n_rel = recompute_all_strengths(tenant.id, progress=progress)
    full = time.perf_counter() - started
    rss = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss0) / 1024
    print(f"full recomputation: {n_rel:,} relationships in {full:.1f} s (peak RSS +{rss:.0f} MiB)")

    rng = np.random.default_rng(7)
    busiest = list(
        Relationship.objects.filter(tenant=tenant)
        .order_by("-id")
        .values_list("person_a_id", "person_b_id")[:5000]
    )
    picks = [busiest[i] for i in rng.choice(len(busiest), size=repeats, replace=False)]
    first_ms, again_ms = [], []
    for a, b in picks:
        for into in (first_ms, again_ms):
            t1 = time.perf_counter()
            record_interaction(
                tenant=tenant,
                kind="meeting",
                occurred_at=timezone.now() - timedelta(minutes=5),
                participants=[(a, "organiser"), (b, "attendee")],
            )
            into.append((time.perf_counter() - t1) * 1000)
    for name, xs in (("first new meeting of a pair", first_ms), ("next one", again_ms)):
        print(
            f"{name}: median {statistics.median(xs):.1f} ms, max {max(xs):.1f} ms ({len(xs)} pairs)"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interactions", type=int, default=10_000_000)
    parser.add_argument("--pairs", type=int, default=1_000_000)
    parser.add_argument("--chunk", type=int, default=1_000_000)
    parser.add_argument(
        "--database",
        action="store_true",
        help="measure the recomputation and new interactions on the configured database",
    )
    args = parser.parse_args(argv)
    if args.database:
        bench_database()
        return 0
    full = bench_full(args.interactions, args.pairs, args.chunk)
    inc = bench_incremental()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    machine = platform.processor() or platform.machine()
    print(f"machine: {machine}, python {platform.python_version()}, numpy {np.__version__}")
    print(
        f"full recomputation, {args.interactions:,} interaction rows, {args.pairs:,} pairs "
        f"({full['pairs_with_rows']:,} with rows), median strength {full['median_strength']:.3f}"
    )
    print(
        f"  one bulk_strengths call: {full['one_call_s']:.2f} s, peak extra memory "
        f"{full['peak_mib']:.0f} MiB (inputs {full['input_mib']:.0f} MiB)"
    )
    print(
        f"  streamed in chunks of {args.chunk:,} with progress bar: {full['streamed_s']:.2f} s, "
        f"peak extra memory {full['streamed_peak_mib']:.0f} MiB"
    )
    print(f"  process peak RSS: {rss:.0f} MiB")
    print(
        f"incremental: new {int((1 + (1 + 8 * inc['pairs']) ** 0.5) / 2)}-person meeting, "
        f"{inc['pairs']} pairs updated in {inc['seconds'] * 1000:.1f} ms"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
