"""geflecht coverage PROJECT: our team x their buying centre, channels, gaps and fixes."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from geflecht.people.cli import get_user
from geflecht.projects.coverage import DEFAULT_THRESHOLD, coverage
from geflecht.projects.management.commands._common import get_project


class Command(BaseCommand):
    help = "Coverage of a project's buying centre by our team: ties, channels, gaps, fixes."

    def add_arguments(self, parser):
        parser.add_argument("project", help="project id or name")
        parser.add_argument("--user")
        parser.add_argument(
            "--threshold",
            type=float,
            default=DEFAULT_THRESHOLD,
            help=f"weakest channel that counts (default {DEFAULT_THRESHOLD})",
        )
        parser.add_argument("--lang", choices=["de", "en"], default="en")

    def handle(self, *args, project, user, threshold, lang, **options):
        if not 0 <= threshold <= 1:
            raise CommandError("--threshold must lie between 0 and 1.")
        account = get_user(user)
        self.stdout.write(
            coverage(account, get_project(account, project), threshold=threshold, lang=lang).text()
        )
