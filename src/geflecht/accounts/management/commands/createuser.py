"""geflecht createuser: add a login to a tenant, optionally linked to a person."""

from __future__ import annotations

import getpass

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from geflecht.accounts.actions import create_user


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

    def handle(self, *args, username, tenant, email, role, staff, password, **options):
        if password is None:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("The passwords do not match.")
        try:
            validate_password(password)
            user = create_user(
                username=username,
                password=password,
                tenant_slug=tenant,
                email=email,
                role=role,
                staff=staff,
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        self.stdout.write(
            self.style.SUCCESS(f"User {user.username!r} created in tenant {tenant!r}.")
        )
