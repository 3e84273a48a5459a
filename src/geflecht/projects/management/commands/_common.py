"""Helpers of the projects commands."""

from __future__ import annotations

from django.core.management.base import CommandError

from geflecht.projects.models import Project
from geflecht.projects.queries import find_project


def get_project(user, text: str) -> Project:
    """Exactly one visible project by id or name, or a CommandError listing candidates."""
    found = find_project(user, text)
    if not found:
        raise CommandError(f"No project {text!r} is visible to {user.username}.")
    if len(found) > 1:
        listing = "; ".join(f"{p.name} (id {p.pk})" for p in found)
        raise CommandError(f"{text!r} is ambiguous: {listing}. Give the id.")
    return found[0]
