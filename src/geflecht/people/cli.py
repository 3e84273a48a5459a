"""Helpers shared by the geflecht CLI commands: the acting user and a person by name.

They read users and people, so they live in the people app (lib sits below both).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from geflecht.accounts.models import User
from geflecht.people.models import Person
from geflecht.people.queries import find_people


def get_user(username: str | None) -> User:
    """The user a command acts for (--user, or the only user of the installation)."""
    users = get_user_model().objects.select_related("person", "tenant")
    if username:
        try:
            return users.get(username=username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"No user named {username!r}.") from None
    candidates = list(users.filter(tenant__isnull=False)[:2])
    if len(candidates) != 1:
        raise CommandError("Say which user you are with --user NAME.")
    return candidates[0]


def get_person(user: User, text: str) -> Person:
    """Exactly one visible person by name, or a CommandError that lists the candidates."""
    found = find_people(user, text)
    if not found:
        raise CommandError(f"Nobody called {text!r} is visible to {user.username}.")
    if len(found) > 1:
        listing = "; ".join(f"{p.full_name} (id {p.pk})" for p in found)
        raise CommandError(f"{text!r} is ambiguous: {listing}. Give the full name.")
    return found[0]
