"""geflecht linkperson: link a login to its own person, or unlink it."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from geflecht.accounts.actions import link_person, resolve_person, unlink_person
from geflecht.lib.errors import DomainError, message_of
from geflecht.people.cli import get_user


class Command(BaseCommand):
    help = (
        "Link the login USERNAME to the person PERSON (id or e-mail address), or take its "
        "person off with --unlink. The same rules as the settings page and the API."
    )

    def add_arguments(self, parser):
        parser.add_argument("username", help="the login to link")
        parser.add_argument("person", nargs="?", help="the person: its id or e-mail address")
        parser.add_argument("--unlink", action="store_true", help="take the login's person off")
        parser.add_argument(
            "--by", help="an admin of the company who does it (default: the login itself)"
        )

    def handle(self, *args, username, person, unlink, by, **options):
        if unlink == bool(person):
            raise CommandError("Give either a PERSON (id or e-mail address) or --unlink.")
        user = get_user(username)
        actor = get_user(by) if by else user
        try:
            if unlink:
                previous = unlink_person(actor, user)
                self.stdout.write(
                    f"{user.username} is no longer linked to {previous}."
                    if previous is not None
                    else f"{user.username} was linked to no person."
                )
                return
            linked = link_person(actor, user, resolve_person(actor, person))
        except DomainError as exc:
            raise CommandError(message_of(exc)) from None
        self.stdout.write(f"{user.username} is linked to {linked} (id {linked.pk}).")
