"""Benchmark a whole mailbox sync into Geflecht: Dovecot -> IMAP connector -> people,
interactions and strengths in the database, as a connected account's job runs it.

    .venv/bin/python bench/bench_capture.py [--messages 100000] [--new 100] [--db sqlite|postgres]

Starts a local Dovecot (the test suite's capture/tests/dovecot.py), writes a mailbox of
``--messages`` messages straight into its maildir (INBOX and Sent: a user writing with
about 2,000 correspondents at 300 firms over three years, replies, 12 % newsletters and
notifications, some messages to many recipients), migrates a fresh database, connects
the account through ``capture.actions.connect_account`` and runs its first sync
(``capture.sync.run_sync``, the job's body) in this process. Then it appends ``--new``
messages over IMAP and times the incremental sync.

Side by side, the floor: the IMAP connector alone reading the same mailbox
(``capture.imap.sync_mailbox``, headers parsed into records, nothing stored). Prints the
times, the ratio to the floor and the peak RSS of the process (the targets: the initial
sync under 2 minutes and 500 MB, the incremental one under 2 s).
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

GIVEN = ["Jürgen", "Björn", "Zoë", "Anna", "Ömer", "Günther", "Käthe", "Sören", "Lea", "Ines"]
FAMILY = ["Müller", "Weiß", "Schröder", "Öztürk", "Groß", "Bäcker", "Kühn", "Jäger", "Böhm"]
ME = "jana.kuehn@mueller-metall.de"


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def mailbox(n: int, seed: int = 7):
    """(folder, message) pairs: a sales engineer's three years of mail."""
    from geflecht.capture.tests.dovecot import message

    rng = random.Random(seed)
    firms = [f"firma{i}.de" for i in range(300)]
    people = [
        (f"{rng.choice(GIVEN)} {rng.choice(FAMILY)}", f"p{i}@{rng.choice(firms)}")
        for i in range(2000)
    ]
    start = datetime(2023, 12, 1, 8, tzinfo=UTC)
    for i in range(n):
        when = start + timedelta(minutes=int(i * 3 * 365 * 24 * 60 / n))
        date = format_datetime(when)
        name, addr = people[int(rng.paretovariate(1.2)) % len(people)]
        roll = rng.random()
        if roll < 0.08:
            yield (
                "INBOX",
                message(
                    sender=f"Newsletter <news@shop{i % 40}.de>",
                    to=[ME],
                    date=date,
                    message_id=f"<n{i}@shop.de>",
                    extra=["List-Unsubscribe: <mailto:off@shop.de>", "Precedence: bulk"],
                ),
            )
        elif roll < 0.12:
            yield (
                "INBOX",
                message(
                    sender=f"noreply@portal{i % 9}.de", to=[ME], date=date, message_id=f"<a{i}@p>"
                ),
            )
        elif roll < 0.55:
            cc = [a for _n, a in rng.sample(people, rng.randint(0, 2))]
            yield (
                "INBOX",
                message(
                    sender=f"{name} <{addr}>", to=[ME], cc=cc, date=date, message_id=f"<i{i}@x>"
                ),
            )
        else:
            many = rng.random() < 0.02
            to = [a for _n, a in rng.sample(people, 30 if many else rng.randint(1, 3))]
            yield (
                "Sent",
                message(
                    sender=f"Jana Kühn <{ME}>",
                    to=to,
                    date=date,
                    message_id=f"<o{i}@mueller-metall.de>",
                    in_reply_to=f"<i{i - 1}@x>" if rng.random() < 0.5 else None,
                ),
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--new", type=int, default=100)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="geflecht-bench-capture-"))
    work.chmod(0o755)  # Dovecot's own users must reach the mail and its passwd-file
    os.environ["GEFLECHT_DATA_DIR"] = str(work / "data")
    # The sync job is queued but run here, by its function, so that it is timed alone.
    os.environ["GEFLECHT_TASKS_AT_ONCE"] = "0"
    os.environ["GEFLECHT_QUEUE_URL"] = f"sqlite:///{work / 'queue.sqlite3'}"
    if args.db == "postgres":
        os.environ["GEFLECHT_DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/geflecht_bench"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geflecht.settings")

    from geflecht.capture.tests.dovecot import PASSWORD, DovecotServer, dovecot_binary, message

    dovecot_binary()
    (work / "dovecot").mkdir()
    server = DovecotServer(work / "dovecot").start()
    try:
        user = server.new_user()
        t = time.perf_counter()
        folders: dict[str, list[bytes]] = {"INBOX": [], "Sent": []}
        for folder, data in mailbox(args.messages):
            folders[folder].append(data)
        for folder, items in folders.items():
            server.write_maildir(user, folder, items)
        del folders
        print(f"mailbox: {args.messages} messages written in {time.perf_counter() - t:.1f} s")
        _run(args, server, user, PASSWORD, message)
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


def _run(args, server, login: str, password: str, message) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor == "postgresql":
        # A fresh database for the run: the bench's, never the app's.
        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    call_command("migrate", verbosity=0)
    settings.GEFLECHT_CAPTURE_CA_FILE = str(server.cert)

    from geflecht.accounts.models import Tenant, User
    from geflecht.capture import actions
    from geflecht.capture.imap import ImapAccount, sync_mailbox
    from geflecht.capture.sync import run_sync
    from geflecht.network.models import Relationship
    from geflecht.people.models import ContactEmail, Person

    tenant = Tenant.objects.create(name="Müller Metall", slug="mm")
    me = Person.objects.create(tenant=tenant, first_name="Jana", last_name="Kühn")
    ContactEmail.objects.create(person=me, email=ME)
    jana = User.objects.create_user("jana", tenant=tenant, person=me, email=ME)

    # The floor: the connector alone, reading every header into records.
    imap = ImapAccount(
        "127.0.0.1",
        login,
        password,
        port=server.port,
        security="starttls",
        ca_file=str(server.cert),
    )
    t = time.perf_counter()
    with sync_mailbox(imap, None, me=[ME]) as changes:
        floor_n = sum(len(b.items) for b in changes)
    floor = time.perf_counter() - t
    rss_floor = _rss_mb()
    print(f"connector alone: {floor_n} messages in {floor:.1f} s (peak RSS {rss_floor:.0f} MB)")

    account = actions.connect_account(
        jana,
        actions.AccountInput(
            kind="imap",
            server="127.0.0.1",
            port=server.port,
            security="starttls",
            username=login,
            password=password,
            interval_minutes=60,
        ),
        check=False,
    )
    t = time.perf_counter()
    result = run_sync(account.pk)
    initial = time.perf_counter() - t
    rss = _rss_mb()
    counts = result["counts"]
    print(
        f"initial sync into {connection.vendor}: {counts.get('read', 0)} messages in "
        f"{initial:.1f} s (x{initial / floor:.1f} the connector alone), peak RSS {rss:.0f} MB; "
        f"{counts.get('interactions_created', 0)} interactions, "
        f"{counts.get('people_created', 0)} people, "
        f"{Relationship.objects.count()} relationships; left out {result['left_out']}"
    )

    conn = server.client(login)
    try:
        for i in range(args.new):
            data = message(
                sender=f"Neu Kunde <neu{i % 20}@firma{i % 7}.de>",
                to=[ME],
                message_id=f"<new{i}@x>",
                date=format_datetime(datetime.now(UTC)),
            )
            conn.append("INBOX", "", None, data)
    finally:
        conn.logout()
    times = []
    t = time.perf_counter()
    result = run_sync(account.pk)
    times.append(time.perf_counter() - t)
    print(f"incremental sync: {result['counts'].get('read', 0)} new messages in {times[0]:.2f} s")
    t = time.perf_counter()
    run_sync(account.pk)
    print(f"sync with nothing new: {time.perf_counter() - t:.2f} s")
    print(
        f"targets: initial < 120 s and < 500 MB: {'yes' if initial < 120 and rss < 500 else 'NO'}; "
        f"incremental < 2 s: {'yes' if times[0] < 2 else 'NO'}"
    )


if __name__ == "__main__":
    main()
