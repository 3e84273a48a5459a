"""Errors the services raise and every door (web, API, CLI) turns into a clear message."""

from __future__ import annotations


class NotFound(LookupError):
    """The object does not exist or the user may not see it; the message is the same."""


class Conflict(Exception):
    """An edit based on an old version: someone else changed the record in between."""

    def __init__(self, message: str, *, current_version: int | str | None = None) -> None:
        super().__init__(message)
        self.current_version = current_version
