"""geflecht user remove: someone leaves the company; their private records go or move."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from geflecht.people.cli import get_user
from geflecht.privacy.leaving import remove_user


class Command(BaseCommand):
    help = (
        "Remove a user: their private records are erased (default) or handed over to "
        "another user (--hand-over-to); company records stay."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["remove"])
        parser.add_argument("username", help="the user who leaves")
        parser.add_argument("--hand-over-to", dest="to", help="who takes their private records")
        parser.add_argument("--by", required=True, help="the admin who removes them")

    def handle(self, *args, action, username, to, by, **options):
        acting, user = get_user(by), get_user(username)
        receiver = get_user(to) if to else None
        mode = "hand_over" if receiver else "erase"
        try:
            report = remove_user(acting, user, private_records=mode, to=receiver)
        except (ValidationError, PermissionDenied) as exc:
            messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
            raise CommandError(" ".join(messages)) from None
        done = f"handed over to {report.handed_to}" if report.handed_to else "erased"
        self.stdout.write(
            f"Removed {report.username}. Their private records were {done}: "
            f"{report.people} people, {report.organizations} organisations, "
            f"{report.relationships} relationships, {report.interactions} interactions, "
            f"{report.projects} projects."
        )
