"""Benchmark of the import path: 100,000 vCards and an mbox of 100,000 messages.

Seeded files are generated into a temporary directory. The address book has realistic
names (about 70,000 distinct ones in 100,000 cards: common surnames more often, German,
Turkish, Polish, Italian and other names, many with umlauts or accents), e-mail
addresses, phone numbers and about 2,000 organisations with a work address. The mailbox
is a personal one: every message is from or to the owner (2 % are newsletters from a
mailing list), the owner writes to a few of ~5,000 contacts in ~300 firms often and to
most rarely, and a message often copies colleagues of the same firm.

Each file is then imported by ``geflecht.importers.load.import_file`` (the real path the
CLI and the web use) into a fresh, migrated database (SQLite, or the PostgreSQL database
given with ``--database-url``, which the benchmark empties), in its own subprocess so
that wall time, CPU time and peak RSS (``ru_maxrss``) are the import's own. A second
import of the same file checks that a re-import creates nothing. On a shared machine the
CPU time of the importing process is the steadier figure (with PostgreSQL it leaves out
the server's own work).

Usage::

    .venv/bin/python bench/bench_import.py [--cards 100000] [--messages 100000]
        [--database-url postgres://postgres@127.0.0.1:5432/geflecht_import] [--out FILE]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
import unicodedata
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PYTHON = sys.executable


def _words(text: str) -> list[str]:
    return text.split()


FIRST = _words("""
Jürgen Björn Anna Jana Petra Klaus Zoë Günter Sören Ute Maximilian Lena Fritz Käthe
Ömer Jörg Thomas Michael Andreas Stefan Christian Markus Frank Alexander Martin Peter Wolfgang
Sabine Susanne Claudia Andrea Nicole Stefanie Katrin Julia Monika Birgit Tobias Florian Lukas
Felix Jonas Leon Paul Niklas Jan Tim Daniel Sebastian Matthias Dirk Uwe Ralf Holger Torsten
Hannah Lea Sophie Marie Laura Sarah Lisa Johanna Katharina Carina Miriam Franziska Heike Anke
Renate Ingrid Helga Gisela Ursula Bernd Dieter Manfred Horst Gerhard Rainer Helmut Werner
Mehmet Ayşe Fatma Emre Elif Agnieszka Łukasz Piotr Katarzyna Marco Giulia Luca Francesca Pierre
Amélie Jean-Luc Sven Kirsten Lars Mette Pavel Jiří Tereza Dragan Ana Ivan Olga Dmitri Nadia
John Emily James Olivia Chen Wei Hiroshi Yuki Priya Rahul Carlos Lucía Joaquín Inés Ahmed Leila
Mohammed Noor Björg Åsa Øyvind Mads Ida Timo Aino Niamh Seán Zsófia Bálint Ioana Andrei
Eleni""")
LAST = _words("""
Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Schäfer Koch
Bauer Richter Klein Wolf Schröder Neumann Schwarz Zimmermann Braun Krüger Hofmann Hartmann Lange
Schmitt Werner Krause Meier Lehmann Weiß Köhler Groß Jäger Strauß Schmid Schulze Maier Herrmann
König Walter Mayer Huber Kaiser Fuchs Peters Lang Scholz Möller Weiß Jung Hahn Schubert Vogel
Friedrich Keller Günther Frank Berger Winkler Roth Beck Lorenz Baumann Franke Albrecht Schuster
Simon Ludwig Böhm Winter Kraus Martin Schumacher Krämer Vogt Stein Jäger Otto Sommer Groß Seidel
Heinrich Brandt Haas Schreiber Graf Schulte Dietrich Ziegler Kuhn Kühn Pohl Engel Horn Busch
Bergmann Thomas Voigt Sauer Arnold Wolff Pfeiffer Öztürk Yılmaz Kaya Demir Şahin Çelik Nowak
Kowalski Wiśniewski Wójcik Kowalczyk Rossi Russo Ferrari Esposito Bianchi Dubois Lefèvre Moreau
Novák Dvořák Svoboda Horváth Nagy Kovačević Petrović Ivanov Smirnov Smith Jones Taylor Brown
Wang Li Zhang Tanaka Suzuki Sato Patel Sharma García Martínez López González Hansen Johansson
Nielsen Andersson Virtanen Korhonen Murphy O'Brien Papadopoulos""")
# Surnames built from common German parts ("Lindenberger", "Holzmann", "Steinhauser"):
# with the real ones, an address book of 100,000 has tens of thousands of distinct names.
_STEMS = _words("""
Linden Holz Stein Wald Berg Feld Bach Brunn Eich Hag Kirch Mühl Rosen Schön Sonnen
Tann Wein Wies Acker Birk Busch Dorn Eck Fels Garten Hassel Hollen Kalten Krumm Lau Lichten
Mittel Neu Ober Rein Ried Sand Schwarzen Stauden Thal Unter Vorder Wasser Weiden Wolfs Zell
Eber Falken Hirsch Kreuz Lerchen Mosel Nuss Pfaff Rotten Sieben Stock Trauten Uhl Würz""")
_ENDS = _words("""
berger mann hauser bauer maier meier huber müller er inger ner ler reiter hofer
bichler rieder wieser thaler felder brunner eder gruber moser lechner stätter""")
CITIES = ["Ulm", "München", "Stuttgart", "Köln", "Düsseldorf", "Nürnberg", "Wien", "Zürich"]
_LAST_WEIGHTS = list(itertools.accumulate(1 / (rank + 20) for rank in range(len(LAST))))


def _surname(rnd: random.Random) -> str:
    if rnd.random() < 0.55:
        # Real surnames, the common ones more often (roughly Zipf, like a phone book).
        return rnd.choices(LAST, cum_weights=_LAST_WEIGHTS)[0]
    return rnd.choice(_STEMS) + rnd.choice(_ENDS)


def _name(rnd: random.Random) -> tuple[str, str]:
    """A first and last name: tens of thousands of combinations, common ones more often,
    many with umlauts, some double names."""
    first = rnd.choice(FIRST)
    if rnd.random() < 0.15:
        first = (
            f"{first}-{rnd.choice(FIRST)}" if rnd.random() < 0.5 else f"{first} {rnd.choice(FIRST)}"
        )
    last = _surname(rnd)
    if rnd.random() < 0.08:
        last = f"{last}-{_surname(rnd)}"
    return first, last


def _ascii(text: str) -> str:
    """The name as a mail server spells it: "Jürgen Wiśniewski" -> "juergen wisniewski"."""
    table = str.maketrans(
        {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "ı": "i", "ł": "l", "ø": "o"}
    )
    plain = unicodedata.normalize("NFKD", text.lower().translate(table))
    return "".join(c for c in plain if c.isascii() and (c.isalnum() or c == "-"))


def make_vcards(path: Path, n: int, seed: int = 7) -> None:
    rnd = random.Random(seed)
    forms = ["GmbH", "AG", "KG", "GmbH & Co. KG", "SE", "e.K."]
    orgs = [f"{_surname(rnd)} {rnd.choice(forms)} {n}" for n in range(2000)]
    with path.open("w", encoding="utf-8", newline="") as fh:
        for i in range(n):
            first, last = _name(rnd)
            org = orgs[i % 2000]
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
    """A personal mailbox of ``n`` messages; returns the owner's address.

    Like a real one: every message is from or to the owner (or from a mailing list);
    the owner writes to some contacts often and to most rarely (Zipf-like), and a
    message often copies colleagues of the same firm. ``addresses`` contacts in about
    300 firms.
    """
    rnd = random.Random(seed)
    people = []
    for i in range(addresses):
        first, last = _name(rnd)
        people.append(
            (f"{first} {last}", f"{_ascii(first)}.{_ascii(last)}.{i}@firma{i % 300}.example")
        )
    me = ("Bench User", "bench.user@own.example")
    by_firm: dict[int, list[int]] = {}
    for i in range(addresses):
        by_firm.setdefault(i % 300, []).append(i)
    contact_weights = list(itertools.accumulate(1 / (rank + 5) for rank in range(addresses)))
    ranks = list(range(addresses))
    rnd.shuffle(ranks)
    start = datetime(2022, 1, 1, tzinfo=UTC)
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        for i in range(n):
            partner = ranks[rnd.choices(range(addresses), cum_weights=contact_weights)[0]]
            firm = by_firm[partner % 300]
            colleagues = [people[rnd.choice(firm)] for _ in range(rnd.choice((0, 0, 0, 1, 2)))]
            others = [people[partner], *colleagues]
            if rnd.random() < 0.4:
                sender, rcpts, cc = me, others[:1], others[1:]
            else:
                sender, rcpts, cc = others[0], [me], others[1:]
            when = start + timedelta(minutes=5 * i + rnd.randrange(5))
            fh.write(f"From sender@example {when:%a %b %d %H:%M:%S %Y}\n")
            fh.write(f"Message-ID: <bench-{i}@example>\n")
            fh.write(f"Date: {format_datetime(when)}\n")
            if i % 50 == 0:  # a newsletter to a list the owner subscribed to
                fh.write('From: "Verband Newsletter" <news@verband.example>\n')
                fh.write("To: <mitglieder@lists.verband.example>\n")
                fh.write("List-Id: <mitglieder.lists.verband.example>\n")
            else:
                fh.write(f'From: "{sender[0]}" <{sender[1]}>\n')
                fh.write("To: " + ", ".join(f'"{nm}" <{a}>' for nm, a in rcpts) + "\n")
                if cc:
                    fh.write("Cc: " + ", ".join(a for _, a in cc) + "\n")
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
    t0, c0 = time.perf_counter(), time.process_time()
    report = import_file(path, user=user, me=me, private=False)  # as measured before
    runs.append({
        "seconds": time.perf_counter() - t0, "cpu_seconds": time.process_time() - c0,
        "people": vars(report.people), "interactions": vars(report.interactions),
        "problems": len(report.problems), "entries": report.entries,
        "duplicates_flagged": len(report.duplicates),
    })
    print(json.dumps(runs[-1]), file=sys.stderr, flush=True)
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"runs": runs, "peak_rss_mb": rss}))
"""


def run_import(path: Path, me: list[str], workdir: Path, database_url: str | None) -> dict:
    data_dir = workdir / f"data-{path.stem}"
    data_dir.mkdir()
    env = dict(os.environ, GEFLECHT_DATA_DIR=str(data_dir), PYTHONPATH=str(REPO / "src"))
    env.pop("GEFLECHT_DATABASE_URL", None)
    if database_url:
        _empty_postgres(database_url)
        env["GEFLECHT_DATABASE_URL"] = database_url
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


def _empty_postgres(url: str) -> None:
    """Create the benchmark database if needed and empty it (it belongs to the benchmark)."""
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cards", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--out", type=Path)
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL database the benchmark may empty (default: a fresh SQLite file)",
    )
    args = parser.parse_args()
    rows = []
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="geflecht-bench-") as tmp:
        work = Path(tmp)
        cards, mbox = work / "contacts.vcf", work / "mail.mbox"
        t0 = time.perf_counter()
        make_vcards(cards, args.cards)
        me = make_mbox(mbox, args.messages)
        print(f"generated files in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        for label, path, me_list, target, count in (
            (f"{args.cards:,} vCards", cards, [], 30, args.cards),
            (f"mbox, {args.messages:,} messages", mbox, [me], 60, args.messages),
        ):
            if not count:
                continue
            result = run_import(path, me_list, work, args.database_url)
            first, again = result["runs"]
            print(label, json.dumps(result), file=sys.stderr)
            rows.append((label, path.stat().st_size, first, again, result["peak_rss_mb"], target))
    database = "PostgreSQL" if args.database_url else "SQLite"
    lines = [
        "| input | database | size | first import: wall (CPU of the importing process) | "
        "created | re-import: wall (created) | peak RSS | target |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for label, size, first, again, rss, target in rows:
        created = f"{first['people']['created']:,} people"
        if first["interactions"]["created"]:
            created += f", {first['interactions']['created']:,} interactions"
        re_created = again["people"]["created"] + again["interactions"]["created"]
        ok = "met" if first["seconds"] < target and rss < 500 else "MISSED"
        lines.append(
            f"| {label} | {database} | {size / 1e6:.0f} MB | {first['seconds']:.1f} s "
            f"({first['cpu_seconds']:.1f} s) | {created} | "
            f"{again['seconds']:.1f} s ({re_created}) | {rss:.0f} MB | "
            f"< {target} s, < 500 MB: {ok} |"
        )
    cpu = platform.processor() or platform.machine()
    table = "\n".join(lines)
    text = (
        f"`bench/bench_import.py` on {database}: seeded files, each imported by `import_file` "
        "into a fresh migrated database by a process of its own (wall time, CPU time and "
        "peak RSS of that process); then the same file again, which must create nothing.\n\n"
        f"{table}\n\n"
        f"Machine: {os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, "
        f"{datetime.now(UTC):%Y-%m-%d}; load average {load_before:.1f} at the start "
        "(other jobs share the machine).\n"
    )
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
