"""geflecht import FILE… [--format F] [--me EMAIL…] [--dry-run] [--share]: load files."""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from geflecht.importers.load import import_file, iter_problems
from geflecht.importers.parsers import FORMATS
from geflecht.people.cli import get_user


class Command(BaseCommand):
    help = (
        "Import address books (vCard, CSV, XLSX), calendars (iCalendar) and mailboxes "
        "(mbox, maildir, .eml). Safe to repeat; broken entries are skipped and listed."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE")
        parser.add_argument("--format", choices=FORMATS, help="skip format detection")
        parser.add_argument(
            "--me", action="append", default=[], metavar="EMAIL", help="your own address(es)"
        )
        parser.add_argument("--dry-run", action="store_true", help="show what would change")
        sharing = parser.add_mutually_exclusive_group()
        sharing.add_argument(
            "--share", action="store_true", help="imported records are visible to the company"
        )
        sharing.add_argument(
            "--private",
            action="store_true",
            help="imported records are visible to you only (the default)",
        )
        parser.add_argument("--user", help="who imports (default: the only user)")

    def handle(self, *args, files, format, me, dry_run, share, private, user, **options):
        account = get_user(user)
        paths = [Path(f) for f in files]
        if missing := [str(p) for p in paths if not p.exists()]:
            raise CommandError(f"No such file: {', '.join(missing)}")
        show_bar = options.get("verbosity", 1) >= 1
        for path in paths:
            size = path.stat().st_size if path.is_file() else None
            with tqdm(
                total=size, unit="B", unit_scale=True, desc=path.name, disable=not show_bar,
                file=self.stderr._out,
            ) as bar:  # fmt: skip

                def progress(entries, done, total, bar=bar):
                    if total and done:
                        bar.update(max(0, min(done, total) - bar.n))
                    bar.set_postfix(entries=entries, refresh=False)

                try:
                    report = import_file(
                        path,
                        user=account,
                        format=format,
                        me=me,
                        dry_run=dry_run,
                        private=not share,
                        on_progress=progress,
                    )
                except PermissionDenied as exc:
                    raise CommandError(str(exc)) from None
                if size:
                    bar.update(size - bar.n)
            for line in iter_problems(report):
                self.stdout.write(line)
            for dup in report.duplicates:
                self.stdout.write(
                    f"possible duplicate: {dup.survivor_id} / {dup.person_id} "
                    f"({dup.level}, {dup.score:.0f}: {', '.join(dup.reasons)})"
                )
            self.stdout.write(report.summary())
