"""geflecht merge SURVIVOR_ID OTHER_ID: fold one person into another."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from geflecht.people.actions import merge_people
from geflecht.people.cli import get_user
from geflecht.people.queries import visible_people


class Command(BaseCommand):
    help = (
        "Merge OTHER into SURVIVOR: addresses, positions, relationships and interactions "
        "move to the survivor, then OTHER is deleted."
    )

    def add_arguments(self, parser):
        parser.add_argument("survivor", type=int, metavar="SURVIVOR_ID")
        parser.add_argument("other", type=int, metavar="OTHER_ID")
        parser.add_argument("--user", help="who merges (default: the only user)")

    def handle(self, *args, survivor, other, user, **options):
        account = get_user(user)
        people = {p.pk: p for p in visible_people(account).filter(pk__in=[survivor, other])}
        if survivor not in people or other not in people:
            missing = [str(i) for i in (survivor, other) if i not in people]
            raise CommandError(f"No person with id {', '.join(missing)} is visible to you.")
        try:
            kept = merge_people(people[survivor], people[other], by=account)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"Merged {other} into {kept.pk} ({kept.full_name}).")
