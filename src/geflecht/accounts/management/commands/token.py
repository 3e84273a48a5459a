"""geflecht token: create, list and revoke personal API tokens."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from geflecht.accounts.actions import create_token, revoke_token
from geflecht.accounts.models import ApiToken
from geflecht.people.cli import get_user


class Command(BaseCommand):
    help = "Personal API tokens: create (the secret is printed once), list, revoke."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["create", "list", "revoke"])
        parser.add_argument("--user", help="whose tokens")
        parser.add_argument("--name", default="", help="what the token is for (create)")
        parser.add_argument("--id", type=int, help="the token to revoke")

    def handle(self, *args, action, user, name, id, **options):
        owner = get_user(user)
        if action == "create":
            try:
                token, secret = create_token(owner, name)
            except ValidationError as exc:
                raise CommandError(" ".join(exc.messages)) from None
            self.stdout.write(f"Token {token.pk} ({token.name}) for {owner.username}:\n{secret}")
            self.stdout.write("Store it now: it is not shown again.")
        elif action == "list":
            for token in ApiToken.objects.filter(user=owner):
                state = f"revoked {token.revoked_at:%Y-%m-%d}" if token.revoked_at else "active"
                used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never"
                self.stdout.write(
                    f"{token.pk:>5}  {token.hint}…  {token.name:<30} {state:<18} used {used}"
                )
        else:
            if id is None:
                raise CommandError("Say which token to revoke with --id N.")
            try:
                token = revoke_token(owner, id)
            except ApiToken.DoesNotExist as exc:
                raise CommandError(str(exc)) from None
            self.stdout.write(f"Token {token.pk} ({token.name}) is revoked.")
