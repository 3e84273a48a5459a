"""geflecht radar targets.csv: rank target organisations by our warm access."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from geflecht.people.cli import get_user
from geflecht.projects.radar import MAX_BYTES, RadarError, export_csv, radar_file


class Command(BaseCommand):
    help = (
        "Rank a CSV of target organisations (name, city, industry[, website]) by our warm "
        "access; --out writes the ranking as CSV."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV file: name, city, industry[, website]")
        parser.add_argument("--user")
        parser.add_argument("--out", help="write the ranked list to this CSV file")
        parser.add_argument("--lang", choices=["de", "en"], default="en")

    def handle(self, *args, file, user, out, lang, **options):
        account = get_user(user)
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No file {file}.")
        if path.stat().st_size > MAX_BYTES:
            raise CommandError(f"{file} is larger than 2 MB.")
        try:
            result = radar_file(account, path.read_bytes(), lang=lang)
        except RadarError as exc:
            raise CommandError(f"{file}: {exc}") from None
        for e in result.errors:
            self.stderr.write(f"{file}: {e.text()} (row skipped)")
        for r in result.rows:
            if r.organization is None:
                self.stdout.write(f"{r.rank:>3}. {r.target.name} ({r.target.city}): not known yet")
                continue
            line = (
                f"{r.rank:>3}. {r.target.name} ({r.target.city}) = {r.organization.name}: "
                f"strength {_strength(r)}, {r.independent_paths} independent paths"
            )
            if r.path is not None and r.ask is not None and r.entry is not None:
                line += f"; {r.ask.full_name} asks for {r.entry.full_name}: {r.path.text()}"
            self.stdout.write(line)
        if out:
            Path(out).write_text(export_csv(result.rows), encoding="utf-8")
            self.stdout.write(f"Wrote {len(result.rows)} rows to {out}.")


def _strength(row) -> str:
    if row.strength is not None:
        return f"{row.strength:.2f}"
    return f"at most {row.known_strength:.2f} (a stretch is hidden)"
