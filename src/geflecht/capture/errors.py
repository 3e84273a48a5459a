"""The errors every connector (IMAP, CalDAV, CardDAV) raises when an account cannot be used.

Each says, in the user's language, what went wrong and what to do. The text is a lazy
template rendered when shown (so in the language active then) with the server's name
and, where it helps, the folder or path; never the user name or the password. A door maps
them through :func:`geflecht.lib.errors.classify`: the transient ones (the server is
unreachable or failed: try again later) answer 502 ``unavailable``, the others (fix the
account first) 422 with ``field`` naming the setting to fix.

A sync that meets :class:`AuthenticationFailed` must not try again on its own: the
server may lock the account after a few failed logins.
"""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from geflecht.lib.errors import ExternalError, Unavailable

__all__ = [
    "AccessDenied",
    "AuthenticationFailed",
    "CertificateNotTrusted",
    "CollectionNotFound",
    "ConnectorError",
    "EncryptionNotAvailable",
    "FolderNotFound",
    "InvalidServerAddress",
    "NotSupported",
    "ServerError",
    "ServerUnreachable",
]


class ConnectorError(ExternalError):
    """An account's server could not be used; ``str()`` says why, in words.

    ``message`` overrides the class's default template; the template may name
    ``%(host)s``, ``%(path)s`` and ``%(status)s``.
    """

    default_message: Promise = _("The server could not be used.")

    def __init__(
        self,
        message: Promise | str | None = None,
        *,
        host: str = "",
        path: str = "",
        status: Any = None,
    ) -> None:
        # No args for Exception: the message is rendered late, and a password can never
        # reach it through the args that pickling or a traceback would show.
        super().__init__()
        self.template = message if message is not None else self.default_message
        self.host = host
        self.path = path
        self.status = status

    @property
    def message(self) -> str:
        return str(self.template) % {"host": self.host, "path": self.path, "status": self.status}

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class InvalidServerAddress(ConnectorError):
    field = "host"
    default_message = _("Enter the server's name, for example mail.example.com.")


class AuthenticationFailed(ConnectorError):
    field = "password"
    default_message = _(
        "The server %(host)s did not accept the user name or password. "
        "Check them in the account settings."
    )


class AccessDenied(ConnectorError):
    field = "username"
    default_message = _("The server %(host)s does not let this account read %(path)s.")


class CertificateNotTrusted(ConnectorError):
    field = "ca_file"
    default_message = _(
        "The certificate of %(host)s is not trusted, so no connection was made. If it is "
        "your own server, add its certificate authority to the account."
    )


class CollectionNotFound(ConnectorError):
    field = "folders"
    default_message = _("%(path)s was not found on %(host)s.")


class FolderNotFound(CollectionNotFound):
    default_message = _(
        "There is no folder %(path)s on %(host)s. Choose one of the account's folders."
    )


class EncryptionNotAvailable(ConnectorError):
    """The server does not offer the connection security the account asks for."""

    field = "security"
    default_message = _("The server %(host)s does not offer this kind of encryption.")


class NotSupported(ConnectorError):
    field = "auth"
    default_message = _("The server %(host)s cannot be used this way.")


class ServerUnreachable(ConnectorError, Unavailable):
    field = "host"
    default_message = _(
        "The server %(host)s cannot be reached. Check the address, or try again later."
    )


class ServerError(ConnectorError, Unavailable):
    default_message = _("The server %(host)s answered with an error (%(status)s).")
