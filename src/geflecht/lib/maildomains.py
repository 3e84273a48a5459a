"""Mail domains that name no organisation: free-mail and private providers.

An address at one of these says nothing about where its owner works, so it never
attaches a person to an organisation, and a sync never shares mail with it.
"""

from __future__ import annotations

__all__ = ["FREE_MAIL_DOMAINS", "domain_of", "is_free_mail"]

FREE_MAIL_DOMAINS = frozenset(
    {
        "aol.com", "arcor.de", "freenet.de", "gmail.com", "gmx.at", "gmx.ch", "gmx.de",
        "gmx.net", "googlemail.com", "hotmail.com", "hotmail.de", "icloud.com", "live.com",
        "live.de", "mail.de", "mailbox.org", "me.com", "msn.com", "outlook.com",
        "outlook.de", "posteo.de", "proton.me", "protonmail.com", "t-online.de", "web.de",
        "yahoo.com", "yahoo.de",
    }
)  # fmt: skip


def domain_of(address: str) -> str:
    """The lower-case domain of an e-mail address ('' when it has none)."""
    return address.rpartition("@")[2].strip().lower().rstrip(".") if "@" in address else ""


def is_free_mail(domain: str) -> bool:
    """True for a free-mail provider's domain (or a subdomain of one)."""
    domain = domain.lower().rstrip(".")
    return any(domain == d or domain.endswith("." + d) for d in FREE_MAIL_DOMAINS)
