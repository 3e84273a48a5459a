"""Reads of the capture app: a user's accounts, and what their sharing rule shares."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from geflecht.accounts.models import User

from .models import ConnectedAccount, Exclusion, SharingRule

__all__ = ["Sharing", "accounts_of", "sharing_of"]


@dataclass(frozen=True)
class Sharing:
    """The kinds of organisation a user shares captured interactions with, the user's own
    exclusion list, and the company's (kept by its admins)."""

    org_kinds: list[str]
    exclusions: list[str]
    company_exclusions: list[str]


def accounts_of(user: User) -> QuerySet[ConnectedAccount]:
    """The user's own connected accounts (nobody sees another user's)."""
    return ConnectedAccount.objects.filter(owner=user).order_by("kind", "label", "pk")


def sharing_of(user: User) -> Sharing:
    rule = SharingRule.objects.filter(owner=user, enabled=True).first()
    mine: list[str] = []
    company: list[str] = []
    for value, owner_id in Exclusion.objects.filter(tenant_id=user.tenant_pk).values_list(
        "value", "owner_id"
    ):
        if owner_id is None:
            company.append(value)
        elif owner_id == user.pk:
            mine.append(value)
    return Sharing(rule.org_kinds if rule else [], mine, company)
