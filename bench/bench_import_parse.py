"""Benchmark the parsing share of an import: 100,000 vCards and an mbox of 100,000 messages.

    .venv/bin/python bench/bench_import_parse.py [--count 100000] [--seed 7] [--keep DIR]

Generates the files (seeded; vCard 3.0 and 4.0 mixed, some 2.1 quoted-printable, German
umlauts, photos on a few cards; mbox messages with bodies, replies, Cc and some list
mail) into a temporary directory, then parses each in a fresh subprocess and reports
wall time, records per second and the child's peak memory (ru_maxrss). The import
targets are 30 s for the vCards and 60 s for the mbox, under 500 MB, for the whole
import; parsing should be a small part of that.
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GIVEN = ["Jürgen", "Björn", "Zoë", "Anna", "Ömer", "Günther", "Käthe", "Sören", "Lea",
         "Maximilian", "Renée", "Ulrike", "Jörg", "Agnieszka", "Łukasz", "Ines"]  # fmt: skip
FAMILY = ["Müller", "Weiß", "Schröder", "Öztürk", "Groß", "Bäcker", "Kühn", "Lefèvre",
          "Wójcik", "Schmidt", "Hoffmann", "Krämer", "Böhm", "Straßburger", "Jäger"]  # fmt: skip
ORGS = ["Maschinenbau Süd AG", "Schröder Metall GmbH", "Präzisionsteile Ulm KG",
        "Großhandel Nord GmbH & Co. KG", "Kältetechnik Jäger e.K.", "Acme, Inc."]  # fmt: skip
CITIES = [("München", "80331"), ("Köln", "50667"), ("Düsseldorf", "40213"), ("Ulm", "89073"),
          ("Lüneburg", "21335"), ("Görlitz", "02826")]  # fmt: skip
TITLES = ["Leiter Einkauf", "Geschäftsführerin", "Technischer Vertrieb", "Qualitätsmanager"]
PHOTO = base64.b64encode(bytes(range(256)) * 8).decode()


def _qp(text: str) -> str:
    return "".join(
        c if c.isascii() and c not in "=;" else "".join(f"={b:02X}" for b in c.encode())
        for c in text
    )


def write_vcards(path: Path, n: int, rng: random.Random) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        for i in range(n):
            g, f = rng.choice(GIVEN), rng.choice(FAMILY)
            org, title = rng.choice(ORGS), rng.choice(TITLES)
            city, plz = rng.choice(CITIES)
            email = f"{g[0].lower()}.{f.lower()}{i}@example.de".encode("ascii", "ignore").decode()
            kind = rng.random()
            if kind < 0.1:  # Outlook/Android 2.1, quoted-printable
                lines = [
                    "BEGIN:VCARD", "VERSION:2.1",
                    f"N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:{_qp(f)};{_qp(g)};;;",
                    f"FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:{_qp(g)} {_qp(f)}",
                    f"ORG;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:{_qp(org)}",
                    f"EMAIL;INTERNET;WORK:{email}", f"TEL;WORK;VOICE:+49 89 {i:07d}",
                ]  # fmt: skip
            elif kind < 0.55:
                lines = [
                    "BEGIN:VCARD", "VERSION:3.0", f"N:{f};{g};;;", f"FN:{g} {f}",
                    f"ORG:{org.replace(',', chr(92) + ',')};Einkauf", f"TITLE:{title}",
                    f"EMAIL;TYPE=INTERNET,WORK:{email}", f"TEL;TYPE=CELL:+49 171 {i:07d}",
                    f"ADR;TYPE=WORK:;;Hauptstraße {i % 200};{city};;{plz};Deutschland",
                    f"BDAY:19{rng.randint(50, 99)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}",
                ]  # fmt: skip
            else:
                lines = [
                    "BEGIN:VCARD", "VERSION:4.0", f"UID:urn:uuid:00000000-0000-4000-8000-{i:012d}",
                    f"FN:{g} {f}", f"N:{f};{g};;;", f"ORG:{org.replace(',', chr(92) + ',')}",
                    f"EMAIL;TYPE=work:{email}", f"EMAIL;TYPE=home:{g[0].lower()}{i}@privat.example",
                    f"TEL;VALUE=uri;TYPE=\"voice,work\":tel:+49-30-{i:07d}",
                    f"NOTE:Kennengelernt auf der Hannover Messe\\, Halle {i % 27}",
                ]  # fmt: skip
            if i % 100 == 0:
                lines.append("PHOTO;ENCODING=b;TYPE=JPEG:" + PHOTO)
            lines.append("END:VCARD")
            out.write("".join(_fold(line) + "\r\n" for line in lines))


def _fold(line: str) -> str:
    if len(line) <= 75:
        return line
    return "\r\n ".join(line[i : i + 74] for i in range(0, len(line), 74))


def _ascii(text: str) -> str:
    return text.encode("ascii", "ignore").decode()


def write_mbox(path: Path, n: int, rng: random.Random) -> None:
    people = [
        (f"{g} {f}", _ascii(f"{g[0]}.{f}{k}@firma{k % 40}.example".lower()))
        for k, (g, f) in enumerate((rng.choice(GIVEN), rng.choice(FAMILY)) for _ in range(3000))
    ]  # fmt: skip
    body_lines = [
        "Hallo zusammen,", "anbei das überarbeitete Angebot für die Prüfstände.",
        "From now on we use the new template.", "Viele Grüße", "--", "Tel. +49 89 123456",
    ]  # fmt: skip
    with path.open("w", encoding="utf-8", newline="\n") as out:
        for i in range(n):
            name, addr = people[rng.randrange(len(people))]
            to = rng.sample(people, rng.randint(1, 4))
            cc = rng.sample(people, rng.choice([0, 0, 0, 1, 2, 3]))
            day = 1 + i % 28
            out.write(f"From {addr} Mon Jan  1 00:00:00 2024\n")
            out.write(f"Message-ID: <{i}.{rng.getrandbits(40)}@bench.example>\n")
            out.write(f"Date: Tue, {day} May 2024 {i % 24:02d}:{i % 60:02d}:00 +0200\n")
            out.write(f'From: "{name}" <{addr}>\n')
            out.write("To: " + ",\n\t".join(f'"{n_}" <{a}>' for n_, a in to) + "\n")
            if cc:
                out.write("Cc: " + ", ".join(a for _, a in cc) + "\n")
            if i % 3 == 0 and i:
                out.write(f"In-Reply-To: <{i - 1}.0@bench.example>\n")
            if i % 20 == 0:
                out.write("List-Id: <vdma.lists.example>\nPrecedence: list\n")
            out.write(f"Subject: =?utf-8?q?Pr=C3=BCfstand_{i}?=\nMIME-Version: 1.0\n")
            out.write("Content-Type: text/plain; charset=utf-8\n\n")
            for _ in range(rng.randint(3, 30)):
                line = rng.choice(body_lines)
                out.write((">" + line if line.startswith("From ") else line) + "\n")
            out.write("\n")


CHILD = r"""
import json, resource, sys, time
from geflecht.importers.parsers import ParseProblem, parse_mbox, parse_vcards
kind, path = sys.argv[1], sys.argv[2]
parser = parse_vcards if kind == "vcard" else parse_mbox
t0, c0 = time.perf_counter(), time.process_time()
records = problems = 0
for item in parser(path):
    if isinstance(item, ParseProblem):
        problems += 1
    else:
        records += 1
elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"records": records, "problems": problems, "seconds": elapsed, "cpu": cpu,
                  "peak_kb": peak_kb}))
"""

BASELINE = r"""
import json, resource
import geflecht.importers.parsers  # noqa: F401
print(json.dumps({"peak_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def _child(code: str, *args: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", code, *args], check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--keep", type=Path, help="write the files here and keep them")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        rng = random.Random(args.seed)
        vcf, mbox = folder / "bench.vcf", folder / "bench.mbox"
        t0 = time.perf_counter()
        write_vcards(vcf, args.count, rng)
        write_mbox(mbox, args.count, rng)
        mb_v, mb_m = vcf.stat().st_size / 1e6, mbox.stat().st_size / 1e6
        took = time.perf_counter() - t0
        print(f"generated in {took:.1f} s: {mb_v:.1f} MB vCards, {mb_m:.1f} MB mbox")
        base = _child(BASELINE)["peak_kb"] / 1024
        print(f"interpreter + parsers imported: {base:.0f} MB RSS")
        print(f"{'file':<6} {'records':>9} {'problems':>9} {'wall s':>7} {'cpu s':>6} "
              f"{'per s':>8} {'peak MB':>8}")  # fmt: skip
        for kind, path, target in (("vcard", vcf, 30), ("mbox", mbox, 60)):
            r = _child(CHILD, kind, str(path))
            print(
                f"{kind:<6} {r['records']:>9,} {r['problems']:>9,} {r['seconds']:>7.2f} "
                f"{r['cpu']:>6.2f} {r['records'] / r['seconds']:>8,.0f} "
                f"{r['peak_kb'] / 1024:>8.0f}   (whole-import target {target} s, 500 MB)"
            )


if __name__ == "__main__":
    main()
