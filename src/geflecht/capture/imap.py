"""The IMAP mailbox connector: who wrote to whom, read from a mail server's headers.

:func:`sync_mailbox` logs in, opens each folder read-only (EXAMINE, so no message is
marked seen) and fetches only the header fields an interaction needs with
``BODY.PEEK[HEADER.FIELDS (...)]``; a body is never fetched. Each header block goes
through the file importer's parser (:func:`~geflecht.importers.parsers.mail.
parse_email_headers`), so a synced message and an imported one become the same record,
with the same bulk detection.

A sync is incremental per folder (RFC 3501 UIDs): the state remembers each folder's
UIDVALIDITY and the highest UID read. The next sync asks only for UIDs above it; when
the server's UIDVALIDITY changed (the folder was rebuilt, its UIDs mean other messages
now) the folder is read again from the start and the sync says so. The records come in
batches, each with the state after it, so a caller that stores a batch and then saves its
state never skips a message, whatever happens in between.

Every failure is a :mod:`.errors` class whose message says what went wrong in words.
The password lives in :class:`ImapAccount` only: never in its repr, a message, a log
line or a state. A refused login raises :class:`~.errors.AuthenticationFailed` at once,
without a second try (servers lock accounts after a few).

Stdlib :mod:`imaplib` is enough: the connector needs LOGIN/AUTHENTICATE, LIST, EXAMINE,
UID SEARCH and UID FETCH, all of which it speaks.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import dataclasses
import imaplib
import logging
import re
import socket
import ssl
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, Self

from django.utils.translation import gettext_lazy as _

from geflecht.importers.parsers.mail import DEFAULT_BULK_RECIPIENTS, parse_email_headers
from geflecht.importers.parsers.records import InteractionRecord, ParseProblem

from .errors import (
    AuthenticationFailed,
    CertificateNotTrusted,
    ConnectorError,
    EncryptionNotAvailable,
    FolderNotFound,
    InvalidServerAddress,
    NotSupported,
    ServerError,
    ServerUnreachable,
)

__all__ = [
    "SENT_FOLDER_NAMES",
    "Folder",
    "ImapAccount",
    "MailBatch",
    "MailChanges",
    "default_folders",
    "list_folders",
    "sync_mailbox",
]

log = logging.getLogger(__name__)

Security = Literal["ssl", "starttls", "plain"]
Auth = Literal["password", "xoauth2"]

#: Folders that hold the user's sent mail on servers without SPECIAL-USE, by how common.
SENT_FOLDER_NAMES = ("Sent", "Sent Items", "Sent Messages", "Gesendet", "Gesendete Objekte")
#: A header block bigger than this is cut (a To: list of thousands is bulk anyway).
MAX_HEADER_BYTES = 256 * 1024
DEFAULT_BATCH = 500

_FIELDS = (
    "FROM TO CC DATE MESSAGE-ID IN-REPLY-TO REFERENCES LIST-ID LIST-UNSUBSCRIBE "
    "PRECEDENCE AUTO-SUBMITTED X-MAILING-LIST"
)

_TIMEOUT = _("The server %(host)s did not answer in time. Try again later.")
_TLS_FAILED = _(
    "No secure connection to %(host)s could be made. Check the port and whether the "
    "account should use SSL/TLS, STARTTLS or no encryption."
)
_NO_STARTTLS = _(
    "The server %(host)s does not offer STARTTLS on this port. Choose SSL/TLS (usually "
    "port 993) in the account settings."
)
_LOGIN_DISABLED = _(
    "The server %(host)s refuses to log in without encryption. Choose SSL/TLS or "
    "STARTTLS in the account settings."
)
_AUTH_UNAVAILABLE = _("The server %(host)s cannot check the password just now. Try again later.")
_NO_OAUTH = _(
    "Signing in to %(host)s with OAuth2 is not supported yet. Use the password (or an "
    "app password) of the account."
)
_NO_UTF8_LOGIN = _(
    "The server %(host)s cannot take a password with non-ASCII characters. Use an app "
    "password, or change the password."
)
_CONNECTION_LOST = _("The connection to %(host)s was lost. Try again later.")
_UNKNOWN_HOST = _("There is no server named %(host)s. Check the address.")
_ANSWER = _("The server %(host)s answered with an error (%(status)s).")
_BAD_SECURITY = _("Choose SSL/TLS, STARTTLS or no encryption for the connection.")
_BAD_AUTH = _("Choose password or OAuth2 as the way to sign in.")


# -- the account -------------------------------------------------------------------------


@dataclass(frozen=True)
class ImapAccount:
    """Where and as whom to connect.

    ``security``: ``"ssl"`` (TLS from the first byte, port 993), ``"starttls"`` (plain
    connection upgraded before login, port 143) or ``"plain"`` (no encryption; only for a
    server on the same machine or a test). ``ca_file``: a PEM file of certificate
    authorities to trust instead of the system's, for a self-hosted server. ``auth``:
    ``"password"``; ``"xoauth2"`` is reserved and refused with a clear message for now.
    """

    host: str
    username: str = field(default="", repr=False)
    password: str = field(default="", repr=False)
    port: int | None = None
    security: Security = "ssl"
    ca_file: str | None = None
    timeout: float = 30.0
    auth: Auth = "password"

    def __post_init__(self) -> None:
        host = (self.host or "").strip()
        if not host or (any(c in host for c in " /:@") and not _is_ipv6(host)):
            raise InvalidServerAddress()
        object.__setattr__(self, "host", host)
        if self.security not in ("ssl", "starttls", "plain"):
            raise InvalidServerAddress(_BAD_SECURITY)
        if self.auth not in ("password", "xoauth2"):
            raise NotSupported(_BAD_AUTH, host=host)
        if self.port is None:
            object.__setattr__(self, "port", 993 if self.security == "ssl" else 143)
        elif not isinstance(self.port, int) or not 0 < self.port < 65536:
            raise InvalidServerAddress()

    @property
    def address(self) -> str:
        """``host:port``, as messages name the server."""
        host = f"[{self.host}]" if _is_ipv6(self.host) else self.host
        return f"{host}:{self.port}"

    def __str__(self) -> str:
        return f"imap {self.address} ({self.security})"


def _is_ipv6(host: str) -> bool:
    return ":" in host and all(c in "0123456789abcdefABCDEF:." for c in host)


# -- folders -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Folder:
    """One mailbox of the account. ``name`` is readable (decoded from IMAP's modified
    UTF-7); ``flags`` hold the LIST attributes, SPECIAL-USE ones (RFC 6154) among them."""

    name: str
    delimiter: str
    flags: frozenset[str]

    @property
    def selectable(self) -> bool:
        return not self.flags & {"\\noselect", "\\nonexistent"}

    @property
    def special_use(self) -> str:
        """``\\Sent``, ``\\Trash``, ... or ``""``."""
        return next((_SPECIAL_USE[f] for f in sorted(self.flags) if f in _SPECIAL_USE), "")


_SPECIAL_USE = {
    f.lower(): f
    for f in ("\\All", "\\Archive", "\\Drafts", "\\Flagged", "\\Junk", "\\Sent", "\\Trash")
}


def list_folders(account: ImapAccount) -> list[Folder]:
    """The account's folders, in the server's order."""
    with _Session(account) as session:
        return session.folders()


def default_folders(folders: Iterable[Folder]) -> list[str]:
    """What to sync when the user chose nothing: INBOX and the sent-mail folder.

    The sent folder is the one flagged ``\\Sent``; without such a flag, the first of
    :data:`SENT_FOLDER_NAMES` the account has (also below INBOX, as in ``INBOX.Sent``),
    compared without regard to case.
    """
    folders = [f for f in folders if f.selectable]
    names = ["INBOX"]
    sent = next((f.name for f in folders if "\\sent" in f.flags), None)
    if sent is None:
        by_name: dict[str, str] = {}
        for f in folders:
            leaf = f.name
            if f.delimiter and leaf.upper().startswith("INBOX" + f.delimiter):
                leaf = leaf[len("INBOX") + len(f.delimiter) :]
            by_name.setdefault(leaf.casefold(), f.name)
        sent = next(
            (by_name[n.casefold()] for n in SENT_FOLDER_NAMES if n.casefold() in by_name), None
        )
    if sent is not None and sent.upper() != "INBOX":
        names.append(sent)
    return names


# -- the sync ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MailBatch:
    """Up to ``batch`` messages of one folder, read. Store ``items``, then save ``state``:
    it counts exactly these messages (and every earlier batch's) as read."""

    folder: str
    items: tuple[InteractionRecord | ParseProblem, ...]
    state: dict[str, dict[str, int]]

    @property
    def records(self) -> list[InteractionRecord]:
        return [item for item in self.items if isinstance(item, InteractionRecord)]

    @property
    def problems(self) -> list[ParseProblem]:
        return [item for item in self.items if isinstance(item, ParseProblem)]


#: ``on_progress(folder, messages done in it, messages to read in it)``.
MailProgress = Callable[[str, int, int], None]


class MailChanges:
    """What changed in the account's folders since ``state``: an iterator of
    :class:`MailBatch` (the connection stays open while it is read; it closes at the end,
    on :meth:`close` or when used as a context manager).

    ``state`` is the state after the last batch handed out (the one passed in before the
    first); ``notices`` say, in words, which folders were read again from the start.
    """

    def __init__(
        self,
        batches: Iterator[MailBatch],
        state: dict[str, dict[str, int]],
        session: _Session | None = None,
    ) -> None:
        self._batches = batches
        self._session = session
        self.state = state
        self.notices: list[str] = []
        self.restarted: list[str] = []

    def __iter__(self) -> Iterator[MailBatch]:
        return self

    def __next__(self) -> MailBatch:
        batch = next(self._batches)
        self.state = batch.state
        return batch

    def items(self) -> Iterator[InteractionRecord | ParseProblem]:
        """Every record and problem of the remaining batches, one by one; ``state`` moves
        on after the last item of each batch was handed out."""
        for batch in self:
            yield from batch.items

    def close(self) -> None:
        """Log out; the batches not read yet are not read (``state`` still counts the
        ones handed out). Also when nothing was read at all."""
        close = getattr(self._batches, "close", None)
        if close is not None:
            close()
        if self._session is not None:
            self._session.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"MailChanges(state={self.state!r}, restarted={self.restarted!r})"


def sync_mailbox(
    account: ImapAccount,
    state: dict | None,
    *,
    folders: Iterable[str] | None = None,
    me: Iterable[str],
    keep_subject: bool = False,
    bulk_recipient_threshold: int = DEFAULT_BULK_RECIPIENTS,
    on_progress: MailProgress | None = None,
    batch: int = DEFAULT_BATCH,
) -> MailChanges:
    """Read the messages added to ``folders`` (default: :func:`default_folders`) since
    ``state`` (None: everything), as e-mail :class:`InteractionRecord`\\ s.

    It connects and logs in at once, so a wrong password, an unreachable server or a
    folder that is not there raises here (a :mod:`.errors` class), before any batch. The
    records come when the returned :class:`MailChanges` is iterated.

    ``me`` are the user's own addresses (aliases included): they set ``my_role`` and are
    never a counterpart; a message that names the user twice (sent from one alias to
    another) keeps only the first. The subject is kept only with ``keep_subject``; it is
    not even fetched otherwise. ``state`` maps a folder to ``{"uidvalidity", "last_uid"}``
    and the returned states keep the folders not synced this time as they were.
    """
    if batch < 1:
        raise ValueError("batch must be at least 1")
    me_set = frozenset(m.strip().lower() for m in me if m and m.strip())
    start_state = _clean_state(state)
    session = _Session(account).open()
    try:
        available = session.folders()
        wanted = list(dict.fromkeys(folders)) if folders is not None else None
        if wanted is None:
            wanted = default_folders(available)
        known = {f.name: f for f in available if f.selectable}
        known_upper = {name.upper(): name for name in known}
        chosen = []
        for name in wanted:
            # INBOX is case-insensitive (RFC 3501 5.1); other names are not.
            real = known_upper.get("INBOX") if name.upper() == "INBOX" else name
            if real not in known:
                raise FolderNotFound(host=account.address, path=name)
            chosen.append(real)
    except BaseException:
        session.close()
        raise
    changes = MailChanges(iter(()), start_state, session)
    changes._batches = _batches(
        session,
        chosen,
        start_state,
        changes,
        me=me_set,
        keep_subject=keep_subject,
        bulk_recipient_threshold=bulk_recipient_threshold,
        on_progress=on_progress,
        batch=batch,
    )
    return changes


def _clean_state(state: Any) -> dict[str, dict[str, int]]:
    """The usable part of a stored state: folders with whole-number UIDVALIDITY and UID."""
    if state is None:
        return {}
    if not isinstance(state, dict):
        log.warning("stored mailbox sync state unreadable: syncing from scratch")
        return {}
    clean = {}
    for folder, entry in state.items():
        try:
            uidvalidity, last_uid = int(entry["uidvalidity"]), int(entry["last_uid"])
        except (TypeError, KeyError, ValueError):
            log.warning("stored sync state of a folder unreadable: reading it from the start")
            continue
        clean[str(folder)] = {"uidvalidity": uidvalidity, "last_uid": last_uid}
    return clean


def _batches(
    session: _Session,
    folders: list[str],
    state: dict[str, dict[str, int]],
    changes: MailChanges,
    *,
    me: frozenset[str],
    keep_subject: bool,
    bulk_recipient_threshold: int,
    on_progress: MailProgress | None,
    batch: int,
) -> Iterator[MailBatch]:
    state = {folder: dict(entry) for folder, entry in state.items()}
    fields = _FIELDS + (" SUBJECT" if keep_subject else "")
    query = f"(UID BODY.PEEK[HEADER.FIELDS ({fields})])"
    try:
        for folder in folders:
            started = time.monotonic()
            uidvalidity, uidnext = session.examine(folder)
            stored = state.get(folder)
            last_uid = 0
            if stored is not None and stored["uidvalidity"] == uidvalidity:
                last_uid = stored["last_uid"]
            elif stored is not None:
                log.info("UIDVALIDITY of a folder changed: reading it from the start")
                changes.restarted.append(folder)
                changes.notices.append(
                    str(
                        _(
                            "The server renumbered the folder %(folder)s, so it was read "
                            "again from the start."
                        )
                    )
                    % {"folder": folder}
                )
            if uidnext is not None and uidnext <= last_uid + 1:
                uids: list[int] = []
            else:
                uids = session.uids_above(last_uid)
            state[folder] = {"uidvalidity": uidvalidity, "last_uid": last_uid}
            if not uids and (stored is None or stored != state[folder]):
                # A new or renumbered folder with nothing to read: its state still moves.
                yield MailBatch(folder, (), _copy(state))
            for at in range(0, len(uids), batch):
                chunk = uids[at : at + batch]
                items = [
                    _record(
                        block,
                        folder=folder,
                        uid=uid,
                        me=me,
                        keep_subject=keep_subject,
                        bulk_recipient_threshold=bulk_recipient_threshold,
                    )
                    for uid, block in session.fetch_headers(chunk, query)
                ]
                state[folder] = {"uidvalidity": uidvalidity, "last_uid": chunk[-1]}
                yield MailBatch(folder, tuple(items), _copy(state))
                if on_progress is not None:
                    on_progress(folder, at + len(chunk), len(uids))
            log.info(
                "IMAP folder synced: %d new messages in %.1f s",
                len(uids),
                time.monotonic() - started,
            )
    finally:
        session.close()


def _copy(state: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    return {folder: dict(entry) for folder, entry in state.items()}


def _record(
    block: bytes,
    *,
    folder: str,
    uid: int,
    me: frozenset[str],
    keep_subject: bool,
    bulk_recipient_threshold: int,
) -> InteractionRecord | ParseProblem:
    try:
        record = parse_email_headers(
            block,
            source_format="imap",
            file=folder,
            entry_no=uid,
            me=me,
            bulk_recipient_threshold=bulk_recipient_threshold,
            keep_subject=keep_subject,
        )
    except Exception as exc:  # one odd message must never end the sync
        return ParseProblem(folder, uid, None, f"unreadable: {type(exc).__name__}")
    if isinstance(record, InteractionRecord) and me:
        mine = [p for p in record.participants if p.email in me]
        if len(mine) > 1:
            # Sent from one alias to another: the user is one participant, not two.
            keep = mine[0]
            participants = tuple(p for p in record.participants if p.email not in me or p is keep)
            record = dataclasses.replace(record, participants=participants)
    return record


# -- the protocol ------------------------------------------------------------------------


_LIST_LINE = re.compile(rb'^\((?P<flags>[^)]*)\) (?P<delim>"(?:[^"\\]|\\.)*"|NIL) (?P<name>.*)$')
_FETCH_UID = re.compile(rb"\bUID (\d+)")
_RESP_CODE = re.compile(rb"^\[([A-Z-]+)")


class _Session:
    """One logged-in IMAP connection, with every failure turned into a :mod:`.errors`
    class. imaplib's own exceptions never leave it (their text is the server's answer,
    not for users, and a traceback would chain them)."""

    def __init__(self, account: ImapAccount) -> None:
        self.account = account
        self.host = account.address
        self.conn: imaplib.IMAP4 | None = None

    def __enter__(self) -> Self:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"_Session({self.account!r})"

    # connecting --------------------------------------------------------------------

    def _context(self) -> ssl.SSLContext:
        try:
            return ssl.create_default_context(cafile=self.account.ca_file or None)
        except (OSError, ssl.SSLError):
            raise CertificateNotTrusted(
                _(
                    "The certificate authority file for %(host)s cannot be read. "
                    "Check the file in the account settings."
                ),
                host=self.host,
            ) from None

    def open(self) -> Self:
        account = self.account
        if account.auth == "xoauth2":
            raise NotSupported(_NO_OAUTH, host=self.host)
        port = account.port or (993 if account.security == "ssl" else 143)
        with self._errors():
            if account.security == "ssl":
                self.conn = imaplib.IMAP4_SSL(
                    account.host, port, ssl_context=self._context(), timeout=account.timeout
                )
            else:
                self.conn = imaplib.IMAP4(account.host, port, timeout=account.timeout)
                if account.security == "starttls":
                    if "STARTTLS" not in self.conn.capabilities:
                        raise EncryptionNotAvailable(_NO_STARTTLS, host=self.host)
                    self.conn.starttls(ssl_context=self._context())
        try:
            self._login()
        except BaseException:
            self.close()
            raise
        return self

    def _login(self) -> None:
        conn = self.conn
        assert conn is not None
        account = self.account
        if "LOGINDISABLED" in conn.capabilities:
            raise EncryptionNotAvailable(_LOGIN_DISABLED, host=self.host)
        with self._errors():
            try:
                if "AUTH=PLAIN" in conn.capabilities:
                    # SASL PLAIN carries UTF-8 (an umlaut in a password); LOGIN is ASCII.
                    secret = f"\0{account.username}\0{account.password}".encode()
                    conn.authenticate("PLAIN", lambda _challenge: secret)
                else:
                    if not (account.username + account.password).isascii():
                        raise NotSupported(_NO_UTF8_LOGIN, host=self.host)
                    conn.login(_quote(account.username), _quote(account.password))
            except imaplib.IMAP4.error as exc:
                code = _code_of(exc)
                if code == "UNAVAILABLE":
                    raise ServerError(_AUTH_UNAVAILABLE, host=self.host) from None
                # AUTHENTICATIONFAILED, AUTHORIZATIONFAILED, EXPIRED or a bare NO: the
                # account as given cannot log in. No second attempt (lockouts).
                log.info("IMAP login refused (%s)", code or "NO")
                raise AuthenticationFailed(host=self.host) from None

    def close(self) -> None:
        conn, self.conn = self.conn, None
        if conn is None:
            return
        # LOGOUT only: CLOSE would expunge deleted messages in a read-write folder.
        try:
            conn.logout()
        except (imaplib.IMAP4.error, OSError):
            with contextlib.suppress(OSError):
                conn.shutdown()

    # reading -----------------------------------------------------------------------

    def _check(self, typ: str, data: list[Any], *, path: str = "") -> list[Any]:
        if typ != "OK":
            text = data[-1] if data else b""
            if isinstance(text, bytes) and b"NONEXISTENT" in text:
                raise FolderNotFound(host=self.host, path=path)
            raise ServerError(_ANSWER, host=self.host, status=_short(text))
        return data

    def folders(self) -> list[Folder]:
        conn = self.conn
        assert conn is not None
        with self._errors():
            data = self._check(*conn.list())
        folders = []
        for item in data:
            if item is None:
                continue
            if isinstance(item, tuple):  # the name came as a literal
                line = item[0].rsplit(b"{", 1)[0].rstrip() + b' "' + _escape(item[1]) + b'"'
            else:
                line = item
            m = _LIST_LINE.match(line)
            if m is None:
                continue
            delim = m.group("delim")
            delimiter = "" if delim == b"NIL" else _unquote(delim).decode("ascii", "replace")
            raw = m.group("name").strip()
            name = _unquote(raw) if raw.startswith(b'"') else raw
            flags = frozenset(
                f.lower() for f in m.group("flags").decode("ascii", "replace").split()
            )
            folders.append(Folder(decode_folder_name(name), delimiter, flags))
        return folders

    def examine(self, folder: str) -> tuple[int, int | None]:
        """Open ``folder`` read-only; its UIDVALIDITY and UIDNEXT (None if not sent)."""
        conn = self.conn
        assert conn is not None
        with self._errors():
            typ, data = conn.select(_quoted(encode_folder_name(folder)), readonly=True)
            self._check(typ, data, path=folder)
            _, validity = conn.response("UIDVALIDITY")
            _, uidnext = conn.response("UIDNEXT")
        try:
            uidvalidity = int(validity[-1])
        except (TypeError, ValueError, IndexError):
            raise ServerError(_ANSWER, host=self.host, status="no UIDVALIDITY") from None
        try:
            next_uid: int | None = int(uidnext[-1])
        except (TypeError, ValueError, IndexError):
            next_uid = None
        return uidvalidity, next_uid

    def uids_above(self, last_uid: int) -> list[int]:
        conn = self.conn
        assert conn is not None
        with self._errors():
            data = self._check(*conn.uid("SEARCH", f"UID {last_uid + 1}:*"))
        # "n:*" always matches the highest UID, even below n (RFC 3501 6.4.8): filter.
        found = {int(u) for line in data if line for u in line.split()}
        return sorted(u for u in found if u > last_uid)

    def fetch_headers(self, uids: list[int], query: str) -> list[tuple[int, bytes]]:
        """The header blocks of ``uids`` (a sorted run), in UID order."""
        conn = self.conn
        assert conn is not None
        wanted = set(uids)
        with self._errors():
            data = self._check(*conn.uid("FETCH", f"{uids[0]}:{uids[-1]}", query))
        out = {}
        pending: bytes | None = None  # a header block whose UID comes after it
        for item in data:
            if isinstance(item, tuple):
                m = _FETCH_UID.search(item[0])
                if m is None:
                    pending = item[1]
                    continue
                uid, block = int(m.group(1)), item[1]
            elif isinstance(item, bytes) and pending is not None:
                # "BODY[...] {n}<literal> UID 7)": the UID is in the closing part.
                m = _FETCH_UID.search(item)
                block, pending = pending, None
                if m is None:
                    continue
                uid = int(m.group(1))
            else:
                continue  # the b")" closing a literal, or a FLAGS-only update
            if uid in wanted:
                out[uid] = block[:MAX_HEADER_BYTES]
        return sorted(out.items())

    # errors ------------------------------------------------------------------------

    def _errors(self) -> contextlib.AbstractContextManager[None]:
        return _translated(self.host)


@contextlib.contextmanager
def _translated(host: str) -> Iterator[None]:
    """Turns transport and protocol failures inside it into :mod:`.errors` classes."""
    try:
        yield
    except ConnectorError:
        raise
    except ssl.SSLCertVerificationError:
        raise CertificateNotTrusted(host=host) from None
    except ssl.SSLError:
        raise ServerUnreachable(_TLS_FAILED, host=host) from None
    except socket.gaierror:
        raise ServerUnreachable(_UNKNOWN_HOST, host=host) from None
    except TimeoutError:
        raise ServerUnreachable(_TIMEOUT, host=host) from None
    except imaplib.IMAP4.abort:
        # Also what a TLS-only port gives a plain client: EOF or garbage for a greeting.
        raise ServerUnreachable(_CONNECTION_LOST, host=host) from None
    except imaplib.IMAP4.error as exc:
        status = _short(exc.args[0] if exc.args else "")
        raise ServerError(_ANSWER, host=host, status=status) from None
    except OSError:
        raise ServerUnreachable(host=host) from None


def _code_of(exc: imaplib.IMAP4.error) -> str:
    text = exc.args[0] if exc.args else b""
    if isinstance(text, str):
        text = text.encode("utf-8", "replace")
    m = _RESP_CODE.match(text.strip())
    return m.group(1).decode("ascii") if m else ""


def _short(text: Any) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return str(text)[:200]


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _quoted(name: bytes) -> str:
    return _quote(name.decode("ascii"))


def _unquote(raw: bytes) -> bytes:
    if raw.startswith(b'"') and raw.endswith(b'"') and len(raw) >= 2:
        return re.sub(rb"\\(.)", rb"\1", raw[1:-1])
    return raw


def _escape(raw: bytes) -> bytes:
    return raw.replace(b"\\", b"\\\\").replace(b'"', b'\\"')


# -- folder names: IMAP's modified UTF-7 (RFC 3501 5.1.3) --------------------------------


def decode_folder_name(raw: bytes) -> str:
    """``Entw&APw-rfe`` -> ``Entwürfe``; a malformed name is kept as it came."""
    out: list[str] = []
    text = raw.decode("ascii", "replace")
    i = 0
    while i < len(text):
        if text[i] != "&":
            out.append(text[i])
            i += 1
            continue
        end = text.find("-", i)
        if end < 0:
            return text
        chunk = text[i + 1 : end]
        if not chunk:
            out.append("&")
        else:
            b64 = chunk.replace(",", "/")
            try:
                out.append(base64.b64decode(b64 + "=" * (-len(b64) % 4)).decode("utf-16-be"))
            except (binascii.Error, UnicodeDecodeError):
                return text
        i = end + 1
    return "".join(out)


def encode_folder_name(name: str) -> bytes:
    """``Entwürfe`` -> ``Entw&APw-rfe``."""
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            data = base64.b64encode("".join(pending).encode("utf-16-be")).decode("ascii")
            out.append("&" + data.rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for char in name:
        if 0x20 <= ord(char) <= 0x7E:
            flush()
            out.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    flush()
    return "".join(out).encode("ascii")
