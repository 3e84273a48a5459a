"""Which captured interactions a user's sharing rule shares with the company.

Everything a connected account brings in is private to its owner. A rule ("share
interactions with people at customer and partner organisations") shares an interaction
only when it is certain the company may see it: every other participant writes from the
domain of a company-visible organisation of the kinds the rule names (or of the own
company), at least one of them from a named kind, nobody writes from a private mail
domain (gmail.com, web.de, ...) or is on the user's or the company's exclusion list, and
nobody is a contact the company may not see (a private or team one). When in doubt, it
stays private.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.db.models import Q

from geflecht.accounts.models import User
from geflecht.importers.parsers.records import InteractionRecord
from geflecht.lib.maildomains import domain_of, is_free_mail
from geflecht.people.models import ContactEmail, Organization, Position

from .models import Exclusion, SharingRule

__all__ = ["SharingPolicy", "hidden_addresses", "policy_for"]


@dataclass(frozen=True)
class SharingPolicy:
    """The owner's rule, resolved to domains once per sync."""

    #: Domains of organisations of the kinds the rule shares.
    shared_domains: frozenset[str]
    #: Domains of the own company: colleagues may take part in a shared interaction.
    own_domains: frozenset[str]
    excluded_addresses: frozenset[str]
    excluded_domains: frozenset[str]

    @property
    def shares_nothing(self) -> bool:
        return not self.shared_domains

    def visibility_of(self, record: InteractionRecord, me: Iterable[str]) -> str:
        """ "company" when the rule shares ``record``, else "private"."""
        if self.shares_nothing:
            return "private"
        mine = set(me)
        shared_with = False
        for p in record.participants:
            if p.email in mine:
                continue
            domain = domain_of(p.email)
            if (
                not domain
                or is_free_mail(domain)
                or p.email in self.excluded_addresses
                or _within(domain, self.excluded_domains)
            ):
                return "private"
            if _within(domain, self.shared_domains):
                shared_with = True
            elif not _within(domain, self.own_domains):
                return "private"
        return "company" if shared_with else "private"


def policy_for(user: User) -> SharingPolicy:
    """The sharing policy of ``user``'s captured interactions, read from the database."""
    tenant_id = user.tenant_pk
    exclusions = list(
        Exclusion.objects.filter(Q(owner__isnull=True) | Q(owner=user), tenant_id=tenant_id)
        .order_by()
        .values_list("value", flat=True)
    )
    excluded_addresses = frozenset(v.lower() for v in exclusions if "@" in v)
    excluded_domains = frozenset(v.lower().lstrip("@.") for v in exclusions if "@" not in v)
    rule = SharingRule.objects.filter(owner=user, enabled=True).first()
    kinds = [k for k in (rule.org_kinds if rule else []) if k != Organization.Kind.OWN]
    shared = _domains(tenant_id, kinds) if kinds else frozenset()
    own = _domains(tenant_id, [Organization.Kind.OWN]) if kinds else frozenset()
    return SharingPolicy(
        shared_domains=shared - own,
        own_domains=own,
        excluded_addresses=excluded_addresses,
        excluded_domains=excluded_domains,
    )


def _within(domain: str, domains: frozenset[str]) -> bool:
    """``domain`` is one of ``domains`` or a subdomain of one (mail.kunde.de)."""
    if domain in domains:
        return True
    parts = domain.split(".")
    return any(".".join(parts[i:]) in domains for i in range(1, len(parts) - 1))


def _domains(tenant_id: int, kinds: list[str]) -> frozenset[str]:
    """The mail domains of the company-visible organisations of ``kinds``: their web
    site's, and those their company-visible people write from (never a free-mail one)."""
    orgs = Organization.objects.filter(tenant_id=tenant_id, visibility="company", kind__in=kinds)
    found: set[str] = set()
    for website in orgs.exclude(website="").values_list("website", flat=True):
        host = (urlsplit(website if "//" in website else f"//{website}").hostname or "").lower()
        host = host.removeprefix("www.")
        if host and "." in host:
            found.add(host)
    people = Position.objects.filter(
        tenant_id=tenant_id,
        organization__in=orgs,
        end_date__isnull=True,
        person__visibility="company",
    ).values("person_id")
    for email in ContactEmail.objects.filter(person_id__in=people).values_list("email", flat=True):
        found.add(domain_of(email))
    return frozenset(d for d in found if d and not is_free_mail(d))


def hidden_addresses(user: User, addresses: set[str]) -> set[str]:
    """Those of ``addresses`` that belong to someone the company may not see (a private
    or team contact): an interaction with them is never shared, or it would show the
    company a person it does not know of."""
    found: set[str] = set()
    ordered = sorted(addresses)
    for start in range(0, len(ordered), 2000):
        found.update(
            ContactEmail.objects.filter(
                email__in=ordered[start : start + 2000], person__tenant_id=user.tenant_pk
            )
            .exclude(person__visibility="company")
            .values_list("email", flat=True)
        )
    return found
