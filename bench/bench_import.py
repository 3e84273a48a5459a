"""Benchmark of the import path: 100,000 vCards and an mbox of 100,000 messages.

Seeded files are generated into a temporary directory (German names with umlauts,
e-mail addresses, phone numbers, ~2,000 organisations for the cards; ~5,000 addresses
in ~300 firms for the mail, one to four recipients and cc, a few mailing-list messages).
Each file is then imported by ``geflecht.importers.load.import_file`` (the real path the
CLI and the web use) into a fresh, migrated SQLite database, in its own subprocess so
that wall time and peak RSS (``ru_maxrss``) are the import's own. A second import of the
same file checks that a re-import creates nothing.

Usage::

    .venv/bin/python bench/bench_import.py [--cards 100000] [--messages 100000]
        [--out bench/import_README_section.md]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
FIRST = [
    "Jürgen",
    "Björn",
    "Anna",
    "Jana",
    "Petra",
    "Klaus",
    "Zoë",
    "Günter",
    "Sören",
    "Ute",
    "Maximilian",
    "Lena",
    "Fritz",
    "Käthe",
    "Ömer",
    "Jörg",
]
LAST = [
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Schulz",
    "Hoffmann",
    "Schäfer",
    "Koch",
    "Bauer",
    "Richter",
    "Klein",
    "Wolf",
    "Schröder",
    "Neumann",
    "Schwarz",
    "Zimmermann",
    "Braun",
    "Krüger",
    "Hofmann",
    "Hartmann",
    "Lange",
    "Schmitt",
    "Werner",
    "Krause",
    "Meier",
    "Lehmann",
    "Weiß",
    "Köhler",
    "Groß",
    "Jäger",
    "Strauß",
]
CITIES = ["Ulm", "München", "Stuttgart", "Köln", "Düsseldorf", "Nürnberg", "Wien", "Zürich"]


def _name(rnd: random.Random) -> tuple[str, str]:
    """A first and last name; about 60,000 combinations, many with umlauts."""
    first = rnd.choice(FIRST)
    if rnd.random() < 0.5:
        first = (
            f"{first}-{rnd.choice(FIRST)}"
            if rnd.random() < 0.3
            else f"{first} {rnd.choice(FIRST)[0]}."
        )
    last = rnd.choice(LAST)
    if rnd.random() < 0.4:
        last = f"{last}-{rnd.choice(LAST)}"
    return first, last


def _ascii(text: str) -> str:
    table = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "ë": "e", "Ö": "Oe"})
    return "".join(c for c in text.translate(table).lower() if c.isalnum() or c == "-")


def make_vcards(path: Path, n: int, seed: int = 7) -> None:
    rnd = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as fh:
        for i in range(n):
            first, last = _name(rnd)
            org = (
                f"{rnd.choice(LAST)} {rnd.choice(['GmbH', 'AG', 'KG', 'GmbH & Co. KG'])} {i % 2000}"
            )
            email = f"{_ascii(first)}.{_ascii(last)}.{i}@firma{i % 2000}.example"
            phone = f"+49 {rnd.randint(30, 999)} {rnd.randint(100000, 9999999)}"
            city = rnd.choice(CITIES)
            fh.write(
                "BEGIN:VCARD\r\nVERSION:3.0\r\n"
                f"UID:bench-{i}\r\nFN:{first} {last}\r\nN:{last};{first};;;\r\n"
                f"EMAIL;TYPE=work:{email}\r\nTEL;TYPE=work:{phone}\r\n"
                f"ORG:{org};Einkauf\r\nTITLE:Leiter Einkauf\r\n"
                f"ADR;TYPE=work:;;Hauptstraße {i % 200 + 1};{city};;{10000 + i % 89999};"
                "Deutschland\r\n"
                "END:VCARD\r\n"
            )


def make_mbox(path: Path, n: int, addresses: int = 5000, seed: int = 11) -> str:
    rnd = random.Random(seed)
    people = []
    for i in range(addresses):
        first, last = _name(rnd)
        people.append(
            (f"{first} {last}", f"{_ascii(first)}.{_ascii(last)}.{i}@firma{i % 300}.example")
        )
    me = people[0]
    start = datetime(2022, 1, 1, tzinfo=UTC)
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        for i in range(n):
            # Mail clusters in firms: most partners are people of a few firms.
            sender = me if rnd.random() < 0.3 else people[rnd.randrange(addresses)]
            base = rnd.randrange(addresses)
            rcpts = [
                people[(base + rnd.randrange(40)) % addresses] for _ in range(rnd.randint(1, 3))
            ]
            if sender is not me and rnd.random() < 0.5:
                rcpts.append(me)
            cc = [people[rnd.randrange(addresses)]] if rnd.random() < 0.3 else []
            when = start + timedelta(minutes=5 * i + rnd.randrange(5))
            fh.write(f"From sender@example {when:%a %b %d %H:%M:%S %Y}\n")
            fh.write(f"Message-ID: <bench-{i}@example>\n")
            fh.write(f"Date: {format_datetime(when)}\n")
            fh.write(f'From: "{sender[0]}" <{sender[1]}>\n')
            fh.write("To: " + ", ".join(f'"{nm}" <{a}>' for nm, a in rcpts) + "\n")
            if cc:
                fh.write("Cc: " + ", ".join(a for _, a in cc) + "\n")
            if i % 50 == 0:
                fh.write("List-Id: <news.lists.example>\n")
            fh.write(f"Subject: Angebot Nr. {i} für Prüfstand\n\nHallo,\nanbei das Angebot.\n\n")
    return me[1]


_CHILD = r"""
import json, os, resource, sys, time
import django
os.environ["DJANGO_SETTINGS_MODULE"] = "geflecht.settings"
django.setup()
from geflecht.accounts.models import Tenant, User
from geflecht.people.models import Person
from geflecht.importers.load import import_file
path, me = sys.argv[1], sys.argv[2:]
user = User.objects.select_related("tenant").filter(username="bench").first()
if user is None:
    tenant = Tenant.objects.create(name="Bench", slug="bench")
    person = Person.objects.create(tenant=tenant, first_name="Bench", last_name="User")
    user = User.objects.create_user(username="bench", tenant=tenant, person=person)
runs = []
for _ in range(2):
    t0 = time.perf_counter()
    report = import_file(path, user=user, me=me)
    runs.append({
        "seconds": time.perf_counter() - t0,
        "people": vars(report.people), "interactions": vars(report.interactions),
        "problems": len(report.problems), "entries": report.entries,
        "duplicates_flagged": len(report.duplicates),
    })
    print(json.dumps(runs[-1]), file=sys.stderr, flush=True)
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"runs": runs, "peak_rss_mb": rss}))
"""


def run_import(path: Path, me: list[str], workdir: Path) -> dict:
    data_dir = workdir / f"data-{path.stem}"
    data_dir.mkdir()
    env = dict(os.environ, GEFLECHT_DATA_DIR=str(data_dir), PYTHONPATH=str(REPO / "src"))
    env.pop("GEFLECHT_DATABASE_URL", None)
    subprocess.run([PYTHON, "-m", "geflecht.cli", "migrate", "-v0"], env=env, check=True, cwd=REPO)
    out = subprocess.run(
        [PYTHON, "-c", _CHILD, str(path), *me],
        env=env,
        check=True,
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cards", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="geflecht-bench-") as tmp:
        work = Path(tmp)
        cards, mbox = work / "contacts.vcf", work / "mail.mbox"
        t0 = time.perf_counter()
        make_vcards(cards, args.cards)
        me = make_mbox(mbox, args.messages)
        print(f"generated files in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        for label, path, me_list, target in (
            (f"{args.cards:,} vCards", cards, [], 30),
            (f"mbox, {args.messages:,} messages", mbox, [me], 60),
        ):
            result = run_import(path, me_list, work)
            first, again = result["runs"]
            print(label, json.dumps(result), file=sys.stderr)
            rows.append((label, path.stat().st_size, first, again, result["peak_rss_mb"], target))
    lines = [
        "| input | size | first import | created | re-import (creates) | peak RSS | target |",
        "|---|---|---|---|---|---|---|",
    ]
    for label, size, first, again, rss, target in rows:
        created = f"{first['people']['created']:,} people"
        if first["interactions"]["created"]:
            created += f", {first['interactions']['created']:,} interactions"
        re_created = again["people"]["created"] + again["interactions"]["created"]
        ok = "met" if first["seconds"] < target and rss < 500 else "MISSED"
        lines.append(
            f"| {label} | {size / 1e6:.0f} MB | {first['seconds']:.1f} s | {created} | "
            f"{again['seconds']:.1f} s ({re_created}) | {rss:.0f} MB | "
            f"< {target} s, < 500 MB: {ok} |"
        )
    cpu = platform.processor() or platform.machine()
    table = "\n".join(lines)
    text = (
        "## Import benchmark\n\n"
        "`bench/bench_import.py`: seeded files, each imported by `import_file` into a fresh "
        "migrated SQLite database in its own process (wall time, peak RSS of that process); "
        "then the same file again, which must create nothing.\n\n"
        f"{table}\n\n"
        f"Machine: {os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, "
        f"{datetime.now(UTC):%Y-%m-%d}.\n"
    )
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
