"""Passwords of connected accounts, encrypted at rest with a key outside the database.

A copy of the database (a backup, a dump handed to support) holds only Fernet tokens
(AES-128-CBC with an HMAC-SHA256, :mod:`cryptography.fernet`); the key lives in
``GEFLECHT_CREDENTIALS_KEY`` (one key, or several separated by commas: the first
encrypts, every one decrypts, so a key can be rotated), else in a file beside the data,
``GEFLECHT_CREDENTIALS_KEY_FILE`` (default ``DATA_DIR/credentials.key``, created with mode
0600 on first use). Without the key the stored passwords are useless, and losing it
means every account has to be given its password again, nothing worse.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _

from geflecht.lib.errors import Invalid

__all__ = ["SecretUnreadable", "decrypt", "encrypt", "forget_keys"]


class SecretUnreadable(Invalid):
    """A stored password cannot be decrypted (the key changed): enter it again."""

    def __init__(self) -> None:
        super().__init__(
            _(
                "The stored password cannot be read with this installation's key. "
                "Enter the password again."
            )
        )


def encrypt(secret: str) -> str:
    """The token to store for ``secret`` (text, safe for a CharField)."""
    return _keys().encrypt(secret.encode()).decode("ascii")


def decrypt(token: str) -> str:
    """The secret behind ``token``; :class:`SecretUnreadable` when no key opens it."""
    if not token:
        return ""
    try:
        return _keys().decrypt(token.encode("ascii")).decode()
    except (InvalidToken, ValueError, UnicodeError):
        raise SecretUnreadable() from None


def forget_keys() -> None:
    """Read the keys again on next use (after a rotation; tests that change the key)."""
    _keys.cache_clear()


@cache
def _keys() -> MultiFernet:
    configured = [k.strip() for k in settings.GEFLECHT_CREDENTIALS_KEY.split(",") if k.strip()]
    if not configured:
        configured = [_key_from_file(Path(settings.GEFLECHT_CREDENTIALS_KEY_FILE))]
    try:
        return MultiFernet([Fernet(k.encode("ascii")) for k in configured])
    except (ValueError, UnicodeError):
        raise ImproperlyConfigured(
            "GEFLECHT_CREDENTIALS_KEY must be Fernet keys (32 url-safe base64-encoded "
            "bytes each, separated by commas), e.g. from "
            '`python -c "from cryptography.fernet import Fernet; '
            'print(Fernet.generate_key().decode())"`'
        ) from None


def _key_from_file(path: Path) -> str:
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key().decode("ascii")
    # O_EXCL: two processes starting at once must not each write a different key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(key + "\n")
    return key
