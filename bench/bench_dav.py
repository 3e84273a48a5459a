"""Benchmark the CalDAV and CardDAV connectors against a local Radicale.

    .venv/bin/python bench/bench_dav.py [--count 10000] [--rounds 3] [--cache DIR]

Makes a calendar of ``--count`` events (meetings with 2 to 8 guests across the past
year and the next half year, 5 % weekly series, some cancelled, some large) and an
address book of ``--count`` cards, once, into a cached Radicale storage
(bench/results/dav-storage-N by default). The objects are written straight into
Radicale's filesystem storage (one file per object plus the collection's
.Radicale.props, the format Radicale documents) because a PUT costs Radicale about
12 ms per object and more as the collection grows. Each run copies the cache to a
temporary folder, starts Radicale on it, and measures with the connectors' public
functions:

- the initial sync of each collection (no state), ``--rounds`` times (the cache holds
  Radicale's own item cache too, built by one sync when the cache was made);
- an incremental sync after 10 objects changed on the server (by PUT), by sync token;
- the same after the sync tokens were dropped on the server (full etag comparison).

Prints the medians; the target is under 30 s for each initial sync.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

import django  # noqa: E402

GIVEN = ["Jürgen", "Björn", "Zoë", "Anna", "Ömer", "Günther", "Käthe", "Sören", "Lea", "Ines"]
FAMILY = ["Müller", "Weiß", "Schröder", "Öztürk", "Groß", "Bäcker", "Kühn", "Jäger", "Böhm"]
ORGS = ["Maschinenbau Süd AG", "Schröder Metall GmbH", "Präzisionsteile Ulm KG", "Acme\\, Inc."]
NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


def _stamp(dt: datetime) -> str:
    return dt.strftime("%Y%m%dT%H%M%SZ")


def event(i: int, rng: random.Random, sequence: int = 0) -> str:
    start = NOW + timedelta(days=rng.randint(-365, 180), hours=rng.randint(-4, 4))
    guests = rng.randint(2, 8) if i % 50 else 40  # every 50th a large event
    lines = [
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//geflecht bench//EN", "BEGIN:VEVENT",
        f"UID:bench-event-{i}", "DTSTAMP:20261101T080000Z", f"DTSTART:{_stamp(start)}",
        f"DTEND:{_stamp(start + timedelta(minutes=rng.choice([30, 60, 90])))}",
        f"SUMMARY:Abstimmung Prüfstand {i}", f"SEQUENCE:{sequence}",
        "ORGANIZER;CN=Jana Kühn:mailto:jana@mueller-metall.de",
    ]  # fmt: skip
    for g in range(guests):
        lines.append(
            f"ATTENDEE;CN=Gast {g};PARTSTAT=ACCEPTED:mailto:gast{(i * 7 + g) % 3000}@kunde.de"
        )
    if i % 20 == 1:
        lines.append("RRULE:FREQ=WEEKLY;COUNT=12")
    if i % 33 == 2:
        lines.append("STATUS:CANCELLED")
    return "\r\n".join([*lines, "END:VEVENT", "END:VCALENDAR"]) + "\r\n"


def card(i: int, rng: random.Random, title: str = "Einkauf") -> str:
    g, f = rng.choice(GIVEN), rng.choice(FAMILY)
    lines = [
        "BEGIN:VCARD", "VERSION:3.0", f"UID:bench-card-{i}", f"N:{f};{g};;;", f"FN:{g} {f}",
        f"EMAIL;TYPE=work:person{i}@kunde{i % 300}.example", f"TEL;TYPE=cell:+49 170 {i:07d}",
        f"ORG:{rng.choice(ORGS)}", f"TITLE:{title}",
        "ADR;TYPE=work:;;Hauptstraße 1;München;;80331;Deutschland",
    ]  # fmt: skip
    return "\r\n".join([*lines, "END:VCARD"]) + "\r\n"


def build_cache(cache: Path, count: int, warm) -> None:
    """Write the collections, then let Radicale build its item cache once (``warm``):
    that first read costs Radicale tens of seconds and is not the connectors' time."""
    from geflecht.capture.tests.radicale import USER

    rng = random.Random(7)
    tmp = cache.with_name(cache.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    home = tmp / "collections" / "collection-root" / USER
    for name, tag, make, ext in (
        ("calendar", "VCALENDAR", event, "ics"),
        ("contacts", "VADDRESSBOOK", card, "vcf"),
    ):
        folder = home / name
        folder.mkdir(parents=True)
        props = {"tag": tag, "D:displayname": name}
        (folder / ".Radicale.props").write_text(json.dumps(props), encoding="utf-8")
        for i in range(count):
            (folder / f"{i}.{ext}").write_text(make(i, rng), encoding="utf-8", newline="")
    warm(tmp)
    tmp.rename(cache)


def timed(fn, *args, **kwargs):
    t0 = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - t0, result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=10_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--cache", type=Path)
    args = ap.parse_args()

    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geflecht.settings")
    django.setup()
    from geflecht.capture.caldav_sync import sync_calendar
    from geflecht.capture.carddav_sync import sync_addressbook
    from geflecht.capture.dav import DavAccount
    from geflecht.capture.tests.radicale import RadicaleServer

    def warm(root: Path) -> None:
        server = RadicaleServer(root).start()
        try:
            account = DavAccount(server.url, server.user, server.password, timeout=600)
            sync_calendar(account, server.collection_url("calendar"), now=NOW)
            sync_addressbook(account, server.collection_url("contacts"))
        finally:
            server.stop()

    cache = args.cache or ROOT / "bench" / "results" / f"dav-storage-{args.count}"
    if not cache.exists():
        t, _ = timed(build_cache, cache, args.count, warm)
        print(f"wrote {args.count:,} events and {args.count:,} cards into {cache} and")
        print(f"let Radicale build its cache in {t:.1f} s (once)")

    with tempfile.TemporaryDirectory(prefix="geflecht-bench-dav-") as tmp:
        root = Path(tmp) / "server"
        shutil.copytree(cache, root)
        server = RadicaleServer(root).start()
        try:
            account = DavAccount(server.url, server.user, server.password, timeout=300)
            cal_url, book_url = server.collection_url("calendar"), server.collection_url("contacts")
            rng = random.Random(11)
            rows = []
            for label, url, sync, ext, change in (
                ("calendar", cal_url, lambda s: sync_calendar(account, cal_url, s, now=NOW), "ics",
                 lambda i, r: event(i, r, sequence=1)),
                ("address book", book_url, lambda s: sync_addressbook(account, book_url, s), "vcf",
                 lambda i, r: card(i, r, title="Leitung")),
            ):  # fmt: skip
                initial = []
                for _ in range(args.rounds):
                    t, (changes, state) = timed(sync, None)
                    initial.append(t)
                n_items = len(changes.events) if label == "calendar" else len(changes.cards)
                by_token, by_etag = [], []
                for _ in range(args.rounds):
                    for i in rng.sample(range(args.count), 10):
                        server.put(url, f"{i}.{ext}", change(i, rng))
                    t, (changes, state) = timed(sync, state)
                    assert not changes.full_sync
                    by_token.append(t)
                    for i in rng.sample(range(args.count), 10):
                        server.put(url, f"{i}.{ext}", change(i, rng))
                    server.forget_sync_tokens(url)
                    t, (changes, state) = timed(sync, state)
                    assert changes.full_sync
                    by_etag.append(t)
                rows.append((label, n_items, initial, by_token, by_etag))
        finally:
            server.stop()

    print(f"{args.count:,} objects per collection, medians of {args.rounds} (seconds):")
    print(f"{'collection':<13} {'records':>8} {'initial':>8} {'10 changes':>11} "
          f"{'same, no token':>15}")  # fmt: skip
    for label, n_items, initial, by_token, by_etag in rows:
        print(
            f"{label:<13} {n_items:>8,} {statistics.median(initial):>8.2f} "
            f"{statistics.median(by_token):>11.2f} {statistics.median(by_etag):>15.2f}"
        )
    print("target: initial sync under 30 s each")


if __name__ == "__main__":
    main()
