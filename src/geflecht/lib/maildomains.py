"""E-mail domains that say nothing about an employer: free-mail providers.

An address at ``acme.example`` suggests someone at ACME; one at ``gmail.com`` suggests
nothing. The importers attach a person to an organisation by the domain of their
address only when :func:`is_free_mail` says no, and the sharing rules of the mailbox
sync treat these domains as private ones.
"""

from __future__ import annotations

__all__ = ["FREE_MAIL_DOMAINS", "domain_of", "is_free_mail"]

FREE_MAIL_DOMAINS: frozenset[str] = frozenset(
    {
        "gmail.com", "googlemail.com", "web.de", "gmx.de", "gmx.net", "gmx.at", "gmx.ch",
        "t-online.de", "outlook.com", "outlook.de", "hotmail.com", "hotmail.de", "yahoo.com",
        "yahoo.de", "icloud.com", "freenet.de", "posteo.de", "mailbox.org", "aol.com",
        "live.com", "live.de", "me.com", "mac.com", "msn.com", "protonmail.com", "proton.me",
        "pm.me", "arcor.de", "online.de", "vodafone.de", "1und1.de", "email.de", "tutanota.com",
        "tuta.io", "zoho.com", "yandex.com", "mail.ru", "bluewin.ch", "gmx.com", "mail.com",
        "mail.de",
    }
)  # fmt: skip


def domain_of(email: str) -> str:
    """The lower-case domain of an address ("" if it has none)."""
    _local, at, domain = email.strip().rpartition("@")
    return domain.lower().rstrip(".") if at else ""


def is_free_mail(domain: str) -> bool:
    """Is ``domain`` (or an address) a free-mail provider's, subdomains included?

    >>> is_free_mail("GMX.de"), is_free_mail("anna@web.de"), is_free_mail("acme.example")
    (True, True, False)
    """
    domain = domain_of(domain) if "@" in domain else domain.strip().lower().rstrip(".")
    while domain:
        if domain in FREE_MAIL_DOMAINS:
            return True
        _head, dot, domain = domain.partition(".")
        if not dot:
            break
    return False
