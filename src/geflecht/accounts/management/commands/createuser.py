"""geflecht createuser: add a login to a tenant, optionally linked to a person."""

from __future__ import annotations

import getpass

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from geflecht.accounts.actions import create_user, link_person, resolve_person
from geflecht.lib.errors import DomainError, message_of


class Command(BaseCommand):
    help = "Create a user in a tenant (the tenant is created when it does not exist)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--tenant", default="demo", help="tenant slug (default: demo)")
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--role", choices=[c for c, _ in get_user_model().Role.choices], default="member"
        )
        parser.add_argument("--staff", action="store_true", help="may use the admin site")
        parser.add_argument("--password", help="password (asked interactively when omitted)")
        parser.add_argument(
            "--person",
            help="link the login to this person: its id or e-mail address (one the new "
            "user may see, linked to no other login)",
        )

    def handle(self, *args, username, tenant, email, role, staff, password, person, **options):
        if password is None:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("The passwords do not match.")
        try:
            validate_password(password)
            # One transaction: a person that cannot be linked leaves no login behind.
            with transaction.atomic():
                user = create_user(
                    username=username,
                    password=password,
                    tenant_slug=tenant,
                    email=email,
                    role=role,
                    staff=staff,
                )
                linked = None
                if person:
                    linked = link_person(user, user, resolve_person(user, person))
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        except DomainError as exc:
            raise CommandError(message_of(exc)) from None
        done = f"User {user.username!r} created in tenant {tenant!r}"
        if linked is not None:
            done += f", linked to {linked} (id {linked.pk})"
        self.stdout.write(self.style.SUCCESS(done + "."))
