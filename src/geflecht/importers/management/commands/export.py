"""geflecht export [--format vcard|csv|json] [--output FILE]: the people you may see."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand

from geflecht.importers.export import EXPORT_FORMATS, export_people
from geflecht.people.cli import get_user


class Command(BaseCommand):
    help = "Export the people you may see, with organisations and relationships."

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=EXPORT_FORMATS, default="vcard")
        parser.add_argument("--output", "-o", help="file to write (default: standard output)")
        parser.add_argument("--user", help="whose view (default: the only user)")

    def handle(self, *args, format, output, user, **options):
        account = get_user(user)
        if output:
            newline = "" if format in ("vcard", "csv") else None
            with open(output, "w", encoding="utf-8", newline=newline) as fh:
                n = export_people(account, format, fh)
            self.stderr.write(f"{n} people written to {output}")
        else:
            export_people(account, format, getattr(self.stdout, "_out", sys.stdout))
