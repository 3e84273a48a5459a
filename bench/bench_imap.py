"""Benchmark the IMAP mailbox connector against a local Dovecot.

    .venv/bin/python bench/bench_imap.py [--count 100000] [--rounds 3] [--cache DIR]

Makes a mailbox of ``--count`` messages (80 % in INBOX, 20 % in Sent; 2 to 6
recipients, every 4th a reply, every 10th from a mailing list, a body of about 1.5 kB
that is never fetched) once, as maildir files under ``bench/results/imap-maildir-N``,
and lets Dovecot index it and cache the header fields with one sync (a real server has
its indexes built by the user's mail program). Each run starts Dovecot (capture/tests/
dovecot.py) on the cached mailbox (the messages it appends are expunged at the end) and
measures, side by side:

- ours: :func:`geflecht.capture.imap.sync_mailbox` of INBOX and Sent from no state,
  every record parsed (``parse_email_headers``), in a child process so its peak RSS is
  its own;
- floor: a plain imaplib loop (login, EXAMINE, UID SEARCH, UID FETCH of the same
  header fields in batches of 500), no parsing, also in a child process;
- an incremental sync after 100 new messages arrived by IMAP APPEND, both ways.

Prints medians and ratios; targets: initial under 2 minutes and 500 MB, incremental
under 2 s.
"""

from __future__ import annotations

import argparse
import imaplib
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

USER = "jana1@mueller-metall.de"
FIELDS = (
    "FROM TO CC DATE MESSAGE-ID IN-REPLY-TO REFERENCES LIST-ID LIST-UNSUBSCRIBE "
    "PRECEDENCE AUTO-SUBMITTED X-MAILING-LIST"
)
GIVEN = ["Jürgen", "Björn", "Anna", "Ömer", "Günther", "Käthe", "Sören", "Lea", "Ines"]
FAMILY = ["Müller", "Weiß", "Schröder", "Öztürk", "Groß", "Bäcker", "Kühn", "Jäger"]
START = datetime(2024, 1, 1, 8, tzinfo=UTC)
BODY = ("Sehr geehrte Damen und Herren,\r\nanbei die Zeichnung zum Fräskopf. " * 25).encode()


def _person(rng: random.Random, n: int) -> str:
    return f'"{rng.choice(GIVEN)} {rng.choice(FAMILY)}" <p{n}@kunde{n % 400}.example>'


def make_message(i: int, rng: random.Random, *, sent: bool) -> bytes:
    others = [_person(rng, rng.randrange(5000)) for _ in range(rng.randint(2, 6))]
    sender = f'"Jana Kühn" <{USER}>' if sent else others.pop(0)
    to = others if sent else [USER, *others[:2]]
    lines = [
        f"From: {sender}",
        "To: " + ", ".join(to[:3]),
        f"Date: {format_datetime(START + timedelta(minutes=7 * i))}",
        f"Message-ID: <bench-{i}@{'mueller-metall.de' if sent else 'kunde.example'}>",
        f"Subject: Angebot Nr. {i} - Prüfstand",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "Received: from mx.example (mx.example [192.0.2.1]) by mail.mueller-metall.de",
    ]
    if len(to) > 3:
        lines.append("Cc: " + ", ".join(to[3:]))
    if i % 4 == 1:
        lines += [f"In-Reply-To: <bench-{i - 1}@kunde.example>",
                  f"References: <bench-{i - 1}@kunde.example>"]  # fmt: skip
    if i % 10 == 3 and not sent:
        lines += ["List-Id: <news.kunde.example>", "List-Unsubscribe: <mailto:u@kunde.example>"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + BODY


def build_cache(cache: Path, count: int) -> float:
    """Write the maildir, then index it with one sync; returns that first sync's time."""
    from geflecht.capture.tests.dovecot import DovecotServer

    tmp = cache.with_name(cache.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    server = DovecotServer(tmp, users=1).start()
    try:
        rng = random.Random(7)
        n_sent = count // 5
        server.write_maildir(
            USER, "INBOX", (make_message(i, rng, sent=False) for i in range(count - n_sent))
        )
        server.write_maildir(
            USER, "Sent", (make_message(i, rng, sent=True) for i in range(count - n_sent, count))
        )
        seconds, _ = floor_sync(server.port, None)
    finally:
        server.stop()
    shutil.move(str(tmp / "mail" / USER), str(cache))
    shutil.rmtree(tmp, ignore_errors=True)
    return seconds


# -- the two ways to read the mailbox ----------------------------------------------------


def floor_sync(port: int, state: dict | None) -> tuple[float, dict]:
    """Plain imaplib: the header fields of every new message, unparsed."""
    from geflecht.capture.tests.dovecot import PASSWORD

    t0 = time.perf_counter()
    conn = imaplib.IMAP4("127.0.0.1", port, timeout=600)
    # SASL PLAIN, as the connector logs in: the test password has an umlaut.
    conn.authenticate("PLAIN", lambda _: f"\0{USER}\0{PASSWORD}".encode())
    state = dict(state or {})
    n = 0
    for folder in ("INBOX", "Sent"):
        conn.select(folder, readonly=True)
        last = state.get(folder, 0)
        _, data = conn.uid("SEARCH", f"UID {last + 1}:*")
        uids = [u for u in map(int, data[0].split()) if u > last]
        for at in range(0, len(uids), 500):
            chunk = uids[at : at + 500]
            _, got = conn.uid(
                "FETCH", f"{chunk[0]}:{chunk[-1]}", f"(UID BODY.PEEK[HEADER.FIELDS ({FIELDS})])"
            )
            n += sum(1 for item in got if isinstance(item, tuple))
        if uids:
            state[folder] = uids[-1]
    conn.logout()
    state["_records"] = n
    return time.perf_counter() - t0, state


def ours_sync(port: int, state: dict | None) -> tuple[float, dict, int, int]:
    from geflecht.capture.imap import ImapAccount, sync_mailbox
    from geflecht.capture.tests.dovecot import PASSWORD
    from geflecht.importers.parsers.records import InteractionRecord

    t0 = time.perf_counter()
    account = ImapAccount("127.0.0.1", USER, PASSWORD, port=port, security="plain", timeout=600)
    changes = sync_mailbox(account, state, me={USER}, folders=["INBOX", "Sent"])
    records = problems = 0
    for batch in changes:
        for item in batch.items:
            if isinstance(item, InteractionRecord):
                records += 1
            else:
                problems += 1
    return time.perf_counter() - t0, changes.state, records, problems


def expunge_above(server, last_uid: int) -> None:
    """Remove the messages a run appended to INBOX, so the cache stays at ``--count``."""
    conn = server.client(USER)
    try:
        conn.select("INBOX")
        _, data = conn.uid("SEARCH", f"UID {last_uid + 1}:*")
        # "n:*" also matches the highest UID below n: keep only the appended ones.
        added = [u for u in data[0].split() if int(u) > last_uid]
        if not added:
            return
        conn.uid("STORE", b",".join(added).decode(), "+FLAGS.SILENT", "(\\Deleted)")
        conn.expunge()
    finally:
        conn.logout()


def child(which: str, port: int) -> None:
    """One initial sync in this (fresh) process; prints seconds, records and peak RSS."""
    if which == "idle":  # the same process before any sync: Django and the app loaded
        import geflecht.capture.imap  # noqa: F401

        seconds, records, problems = 0.0, 0, 0
    elif which == "ours":
        seconds, _, records, problems = ours_sync(port, None)
    else:
        seconds, state = floor_sync(port, None)
        records, problems = state["_records"], 0
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over fork and exec from the parent.
    status = Path("/proc/self/status").read_text()
    rss = (
        next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM"))
        / 1024
    )
    print(json.dumps({"seconds": seconds, "records": records, "problems": problems, "rss": rss}))


def run_child(which: str, port: int) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", which, "--port", str(port)],
        check=True,
        capture_output=True,
        text=True,
        env=os.environ,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--cache", type=Path)
    ap.add_argument("--child", choices=["ours", "floor", "idle"])
    ap.add_argument("--port", type=int)
    args = ap.parse_args()

    if args.child == "floor":  # the floor needs no Django: its RSS is imaplib's alone
        child(args.child, args.port)
        return
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geflecht.settings")
    import django

    django.setup()
    from geflecht.capture.tests.dovecot import DovecotServer

    if args.child:
        child(args.child, args.port)
        return

    cache = args.cache or ROOT / "bench" / "results" / f"imap-maildir-{args.count}"
    if not cache.exists():
        t0 = time.perf_counter()
        first = build_cache(cache, args.count)
        print(f"wrote {args.count:,} messages into {cache} in {time.perf_counter() - t0:.0f} s;")
        print(f"Dovecot's first (cold, indexing) header fetch took {first:.1f} s (once)")

    with tempfile.TemporaryDirectory(prefix="geflecht-bench-imap-") as tmp:
        root = Path(tmp)
        (root / "mail").mkdir()
        # The cached mailbox itself, not a copy (copying and deleting 100,000 files took
        # minutes on this disk); the messages a run appends are expunged at its end.
        (root / "mail" / USER).symlink_to(cache.resolve())
        server = DovecotServer(root, users=1)
        server.start()
        before: dict = {}
        try:
            initial: dict[str, list[dict]] = {"ours": [], "floor": []}
            idle = 0.0
            for _ in range(args.rounds):
                for which in ("floor", "ours"):
                    initial[which].append(run_child(which, server.port))
            idle = run_child("idle", server.port)["rss"]
            _, state, _, _ = ours_sync(server.port, None)
            _, floor_state = floor_sync(server.port, None)
            before = {folder: entry["last_uid"] for folder, entry in state.items()}
            inc: dict[str, list[float]] = {"ours": [], "floor": []}
            rng = random.Random(11)
            for r in range(args.rounds):
                news = [make_message(args.count + 100 * r + i, rng, sent=False) for i in range(100)]
                server.append(USER, "INBOX", *news)
                t, state, n, _ = ours_sync(server.port, state)
                assert n == 100, n
                inc["ours"].append(t)
                t, floor_state = floor_sync(server.port, floor_state)
                assert floor_state["_records"] == 100
                inc["floor"].append(t)
        finally:
            if before:
                expunge_above(server, before["INBOX"])
            server.stop()

    def med(rows: list[dict], key: str) -> float:
        return statistics.median(row[key] for row in rows)

    print(f"{args.count:,} messages (INBOX + Sent), medians of {args.rounds}:")
    print(f"{'':<32} {'ours':>9} {'floor':>9} {'ratio':>7}")
    o, f = med(initial["ours"], "seconds"), med(initial["floor"], "seconds")
    print(f"{'initial sync (s)':<32} {o:>9.1f} {f:>9.1f} {o / f:>7.2f}")
    o, f = med(initial["ours"], "rss"), med(initial["floor"], "rss")
    print(f"{'initial sync peak RSS (MB)':<32} {o:>9.0f} {f:>9.0f} {o / f:>7.2f}")
    print(f"{'  same process before the sync':<32} {idle:>9.0f}")
    print(
        f"{'records / problems':<32} {initial['ours'][0]['records']:>9,} "
        f"{initial['floor'][0]['records']:>9,}   ({initial['ours'][0]['problems']} problems)"
    )
    o, f = statistics.median(inc["ours"]), statistics.median(inc["floor"])
    print(f"{'100 new messages (s)':<32} {o:>9.2f} {f:>9.2f} {o / f:>7.2f}")
    print("targets: initial under 120 s and 500 MB, incremental under 2 s")


if __name__ == "__main__":
    main()
