"""Errors the services raise and every door (web, API, CLI) turns into a clear message.

One hierarchy, mapped once (:func:`classify`) to what each door answers:

============  ======  ==================  ===================================================
error         status  code                meaning
============  ======  ==================  ===================================================
NotFound      404     not_found           missing, or there but not the user's to see
NotAllowed    403     forbidden           the user sees it but may not do this to it
Conflict      409     conflict            based on an old version, or a race another won
Invalid       422     validation_error    the input is wrong; the message says what and where
Unavailable   502     unavailable         a server outside Geflecht failed or is unreachable
============  ======  ==================  ===================================================

An :class:`ExternalError` (a mail, calendar or address book server could not be used) is
``Unavailable`` when trying again later may help (the server is down, it answered with an
error) and ``Invalid`` when the user has to change the account's settings first (a wrong
password, an untrusted certificate, a folder that is not there); its ``field`` names the
setting, so a form can mark it.

``NotAllowed`` is Django's ``PermissionDenied`` and ``Invalid`` its ``ValidationError``, so
code that raises or catches those keeps working; :func:`classify` reads Django's own
``ObjectDoesNotExist`` and ``Http404`` as not found too. A record the user may not see
raises ``NotFound`` with the same message as one that never existed: an error never
confirms that a colleague's private contact exists.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.http import Http404

__all__ = [
    "CONFLICT",
    "FORBIDDEN",
    "INVALID",
    "NOT_FOUND",
    "UNAVAILABLE",
    "Conflict",
    "DomainError",
    "ErrorKind",
    "ExternalError",
    "Invalid",
    "NotAllowed",
    "NotFound",
    "Unavailable",
    "classify",
    "message_of",
]


class DomainError(Exception):
    """Base of the errors a service raises on purpose (never a bug)."""


class NotFound(DomainError, LookupError):
    """The object does not exist or the user may not see it; the message is the same."""


class NotAllowed(DomainError, PermissionDenied):
    """The user may see the object but not do this (read-only role, not the owner...)."""


class Conflict(DomainError):
    """An edit based on an old version, or a concurrent change that won the race."""

    def __init__(self, message: str, *, current_version: int | str | None = None) -> None:
        super().__init__(message)
        self.current_version = current_version


class Invalid(DomainError, ValidationError):
    """Input a service refuses; like ValidationError it may carry a field -> messages dict."""


class ExternalError(DomainError):
    """A server outside Geflecht could not be used. ``transient``: trying again later may
    help; else the account's settings must change first (``field`` names the one to fix)."""

    transient: bool = False
    field: str = ""


class Unavailable(ExternalError):
    """An outside server is unreachable or failed: try again later."""

    transient = True


@dataclass(frozen=True)
class ErrorKind:
    """How every door answers one kind of error."""

    status: int
    code: str


NOT_FOUND = ErrorKind(404, "not_found")
FORBIDDEN = ErrorKind(403, "forbidden")
CONFLICT = ErrorKind(409, "conflict")
INVALID = ErrorKind(422, "validation_error")
UNAVAILABLE = ErrorKind(502, "unavailable")


def classify(exc: BaseException) -> ErrorKind | None:
    """The kind of ``exc`` for the doors, or None for an unexpected error (a bug: 500)."""
    if isinstance(exc, NotFound | ObjectDoesNotExist | Http404):
        return NOT_FOUND
    if isinstance(exc, PermissionDenied):
        return FORBIDDEN
    if isinstance(exc, Conflict):
        return CONFLICT
    if isinstance(exc, ValidationError):
        return INVALID
    if isinstance(exc, ExternalError):
        return UNAVAILABLE if exc.transient else INVALID
    return None


def message_of(exc: BaseException) -> str:
    """The user-facing text of a domain error (ValidationError's messages joined)."""
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)
