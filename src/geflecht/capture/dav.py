"""The WebDAV layer under the CalDAV and CardDAV connectors.

Calendars and address books are the same kind of thing to a sync: a collection of
objects, each with an href and an etag. This module finds the collections of an account
(current-user-principal, then the calendar or address book home set, RFC 4791/6352,
RFC 6764 for ``/.well-known``), lists what changed since the last sync (RFC 6578
sync-collection with the stored token; else the collection's etags compared with the
stored ones, skipped when its ctag did not move) and fetches the changed objects with
one multiget REPORT per chunk. :mod:`.caldav_sync` and :mod:`.carddav_sync` parse what it
fetched.

Every failure is a :class:`DavError` whose message says, in the user's language, what
went wrong and what to do. Credentials live in :class:`DavAccount` only: they are kept
out of its repr, out of every message and log line, and a URL's ``user:password@`` part
is moved into them before any request.
"""

from __future__ import annotations

import logging
import ssl
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Self
from urllib.parse import quote, unquote, urljoin, urlsplit, urlunsplit
from xml.etree.ElementTree import Element
from xml.sax.saxutils import escape

import requests
from defusedxml import ElementTree
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from . import errors

__all__ = [
    "ADDRESS_BOOKS",
    "CALENDARS",
    "AccessDenied",
    "AuthenticationFailed",
    "CertificateNotTrusted",
    "CollectionKind",
    "CollectionNotFound",
    "DavAccount",
    "DavClient",
    "DavCollection",
    "DavError",
    "Delta",
    "Fetched",
    "InvalidServerAddress",
    "ServerError",
    "ServerUnreachable",
    "SyncState",
    "find_collections",
    "sync_collection",
]

log = logging.getLogger(__name__)

DAV = "DAV:"
CALDAV = "urn:ietf:params:xml:ns:caldav"
CARDDAV = "urn:ietf:params:xml:ns:carddav"
CALSERVER = "http://calendarserver.org/ns/"

#: Objects per multiget REPORT: big enough for few round trips, small enough that one
#: answer stays a few MB (a vCard with a photo is ~50 kB).
MULTIGET_CHUNK = 200
MAX_REDIRECTS = 5
#: A sync-collection answer may be truncated (507); each follow-up starts at its token.
MAX_SYNC_ROUNDS = 1000
USER_AGENT = "Geflecht"


def _clark(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


# -- errors ------------------------------------------------------------------------------


class DavError(errors.ConnectorError):
    """A calendar or address book server could not be used; ``str()`` says why, in words.

    The text is rendered when shown, in the language active then. It names the server
    (and, where it helps, the path) but never the user name or the password. Each
    subclass is also the shared :mod:`.errors` class of its name, so code that handles
    every connector's errors alike catches it.
    """

    default_message: Promise = _("The calendar or address book server could not be used.")


class InvalidServerAddress(DavError, errors.InvalidServerAddress):
    field = "url"
    default_message = _(
        "Enter the server address as an http:// or https:// address, "
        "for example https://dav.example.com/."
    )


class AuthenticationFailed(DavError, errors.AuthenticationFailed):
    default_message = errors.AuthenticationFailed.default_message


class AccessDenied(DavError, errors.AccessDenied):
    default_message = errors.AccessDenied.default_message


class ServerUnreachable(DavError, errors.ServerUnreachable):
    default_message = errors.ServerUnreachable.default_message


class CertificateNotTrusted(DavError, errors.CertificateNotTrusted):
    field = "verify"
    default_message = errors.CertificateNotTrusted.default_message


class CollectionNotFound(DavError, errors.CollectionNotFound):
    field = "url"
    default_message = _("There is no calendar or address book at %(path)s on %(host)s.")


class ServerError(DavError, errors.ServerError):
    default_message = _("The server %(host)s answered with an error (HTTP %(status)s).")


class _SyncTokenInvalid(Exception):
    """The server refused the stored sync token (or the sync report): compare etags."""


_TIMEOUT = _("The server %(host)s did not answer in time. Try again later.")
_TLS_FAILED = _(
    "No secure connection to %(host)s could be made. Check whether the address should "
    "start with http:// or https://."
)
_UNREADABLE = _("The server %(host)s sent an answer that could not be read.")
_TOO_MANY_REDIRECTS = _("The server %(host)s redirected too often or to another server.")


# -- the account and the client ----------------------------------------------------------


@dataclass(frozen=True)
class DavAccount:
    """Where and as whom to connect. ``verify``: True (the installation's CAs: the
    ``REQUESTS_CA_BUNDLE`` file if set, else certifi's), False (do not check; only for a
    test server), or the path of a CA bundle for a self-hosted server.
    """

    url: str
    username: str = field(default="", repr=False)
    password: str = field(default="", repr=False)
    verify: bool | str = True
    timeout: float = 30.0

    def __post_init__(self) -> None:
        parts = urlsplit(self.url.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise InvalidServerAddress()
        username, password = self.username, self.password
        if parts.username is not None and not username:
            username, password = unquote(parts.username), unquote(parts.password or "")
        netloc = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
        try:
            port = parts.port
        except ValueError:
            raise InvalidServerAddress() from None
        if port is not None:
            netloc = f"{netloc}:{port}"
        path = parts.path or "/"
        object.__setattr__(self, "url", urlunsplit((parts.scheme, netloc, path, parts.query, "")))
        object.__setattr__(self, "username", username)
        object.__setattr__(self, "password", password)

    @property
    def host(self) -> str:
        return urlsplit(self.url).netloc


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc


def _path_of(url: str) -> str:
    """An href's absolute path, percent-decoded: the key of an object in a sync state."""
    return unquote(urlsplit(url).path) or "/"


def _collection_path(url: str) -> str:
    path = _path_of(url)
    return path if path.endswith("/") else path + "/"


@dataclass(frozen=True, slots=True)
class DavResource:
    """One ``<response>`` of a multistatus answer."""

    href: str  # absolute path, decoded
    status: int | None  # the response's own status (404: removed, in a sync report)
    props: Mapping[str, Element]  # the properties found (status 200), by Clark name

    def text(self, ns: str, name: str) -> str:
        el = self.props.get(_clark(ns, name))
        return (el.text or "").strip() if el is not None else ""

    def hrefs(self, ns: str, name: str) -> list[str]:
        """The hrefs inside a property (a principal, a home set), as decoded paths like
        :attr:`href`: the server sends them percent-encoded (``jana%40firma.de``)."""
        el = self.props.get(_clark(ns, name))
        if el is None:
            return []
        return [_path_of(h.text.strip()) for h in el.iter(_clark(DAV, "href")) if h.text]

    def is_a(self, ns: str, name: str) -> bool:
        el = self.props.get(_clark(DAV, "resourcetype"))
        return el is not None and el.find(_clark(ns, name)) is not None


def _status_code(text: str | None) -> int | None:
    # "HTTP/1.1 404 Not Found"
    parts = (text or "").split()
    if len(parts) >= 2 and parts[1].isdigit():
        return int(parts[1])
    return None


class DavClient:
    """An HTTP session on one account. Use as a context manager."""

    def __init__(self, account: DavAccount) -> None:
        self.account = account
        self._session = requests.Session()
        self._session.auth = (account.username, account.password)
        self._session.headers["User-Agent"] = USER_AGENT

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._session.close()

    def __repr__(self) -> str:
        return f"DavClient({self.account!r})"

    def url(self, href: str) -> str:
        return urljoin(self.account.url, quote(href, safe="/:@!$&'()*+,;=-._~"))

    def send(
        self,
        method: str,
        url: str,
        *,
        body: str | None = None,
        depth: str | None = None,
    ) -> requests.Response:
        """One request; follows redirects on the same server only (with the same method,
        which requests would change to GET). Raises on 401 and on transport failures."""
        host = urlsplit(url).netloc
        headers = {"Content-Type": 'application/xml; charset="utf-8"'}
        if depth is not None:
            headers["Depth"] = depth
        data = body.encode("utf-8") if body is not None else None
        for _round in range(MAX_REDIRECTS + 1):
            try:
                resp = self._session.request(
                    method,
                    url,
                    data=data,
                    headers=headers,
                    timeout=self.account.timeout,
                    # Per request, or requests lets REQUESTS_CA_BUNDLE override a CA file.
                    verify=self.account.verify,
                    allow_redirects=False,
                )
            except requests.exceptions.SSLError as exc:
                if _is_certificate_failure(exc):
                    raise CertificateNotTrusted(host=host) from None
                raise ServerUnreachable(_TLS_FAILED, host=host) from None
            except requests.exceptions.Timeout:
                raise ServerUnreachable(_TIMEOUT, host=host) from None
            except requests.exceptions.ConnectionError:
                raise ServerUnreachable(host=host) from None
            except requests.exceptions.RequestException:
                raise ServerError(_UNREADABLE, host=host) from None
            log.debug("%s %s -> %s", method, urlsplit(url).path, resp.status_code)
            location = resp.headers.get("Location")
            if resp.status_code in (301, 302, 303, 307, 308) and location:
                target = urljoin(url, location)
                if _origin(target) != _origin(url):
                    # Credentials go to the server the user named, nowhere else.
                    raise ServerError(_TOO_MANY_REDIRECTS, host=host)
                url = target
                continue
            if resp.status_code == 401:
                raise AuthenticationFailed(host=host)
            return resp
        raise ServerError(_TOO_MANY_REDIRECTS, host=host)

    def multistatus(
        self, method: str, url: str, body: str, depth: str
    ) -> tuple[list[DavResource], str, requests.Response]:
        """PROPFIND or REPORT answered with 207: the responses and the sync token, if any.

        404 raises :class:`CollectionNotFound`, 403 :class:`AccessDenied`, other
        answers :class:`ServerError`; a REPORT's 403/409 is left to the caller.
        """
        resp = self.send(method, url, body=body, depth=depth)
        host, path = urlsplit(url).netloc, _path_of(url)
        if resp.status_code != 207:
            if method == "REPORT" and resp.status_code in (400, 403, 409, 415, 501):
                return [], "", resp
            if resp.status_code in (404, 410):
                raise CollectionNotFound(host=host, path=path, status=resp.status_code)
            if resp.status_code == 403:
                raise AccessDenied(host=host, path=path, status=403)
            raise ServerError(host=host, path=path, status=resp.status_code)
        try:
            root = ElementTree.fromstring(resp.content)
        except Exception:  # defusedxml's refusals and expat's parse errors alike
            raise ServerError(_UNREADABLE, host=host, path=path) from None
        if root.tag != _clark(DAV, "multistatus"):
            raise ServerError(_UNREADABLE, host=host, path=path)
        out: list[DavResource] = []
        for el in root.findall(_clark(DAV, "response")):
            href_el = el.find(_clark(DAV, "href"))
            if href_el is None or not (href_el.text or "").strip():
                continue
            props: dict[str, Element] = {}
            for propstat in el.findall(_clark(DAV, "propstat")):
                code = _status_code(propstat.findtext(_clark(DAV, "status")))
                prop = propstat.find(_clark(DAV, "prop"))
                if code == 200 and prop is not None:
                    for child in prop:
                        props[child.tag] = child
            href = _path_of(urljoin(url, (href_el.text or "").strip()))
            own_status = _status_code(el.findtext(_clark(DAV, "status")))
            out.append(DavResource(href, own_status, props))
        token = (root.findtext(_clark(DAV, "sync-token")) or "").strip()
        return out, token, resp

    def propfind(self, url: str, props: Iterable[tuple[str, str]], depth: str) -> list[DavResource]:
        body = _propfind_body(props)
        return self.multistatus("PROPFIND", url, body, depth)[0]


def _is_certificate_failure(exc: BaseException) -> bool:
    seen: set[int] = set()
    stack: list[Any] = [exc]
    while stack:
        item = stack.pop()
        if not isinstance(item, BaseException) or id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, ssl.SSLCertVerificationError):
            return True
        stack.extend([item.__cause__, item.__context__, getattr(item, "reason", None)])
        stack.extend(item.args)
    return "CERTIFICATE_VERIFY_FAILED" in str(exc)


_PREFIXES = {DAV: "D", CALDAV: "C", CARDDAV: "CR", CALSERVER: "CS"}


def _xml_head(root: str) -> str:
    ns = " ".join(f'xmlns:{p}="{uri}"' for uri, p in _PREFIXES.items())
    return f'<?xml version="1.0" encoding="utf-8"?>\n<{root} {ns}>'


def _prop_xml(props: Iterable[tuple[str, str]]) -> str:
    return "<D:prop>" + "".join(f"<{_PREFIXES[ns]}:{name}/>" for ns, name in props) + "</D:prop>"


def _propfind_body(props: Iterable[tuple[str, str]]) -> str:
    return _xml_head("D:propfind") + _prop_xml(props) + "</D:propfind>"


# -- collections ---------------------------------------------------------------------


@dataclass(frozen=True)
class CollectionKind:
    """What tells calendars and address books apart on the wire."""

    name: str  # "calendar" or "addressbook"
    ns: str
    home_set: str
    well_known: str
    multiget: str
    data: str
    none_found: Promise
    not_this_kind: Promise


CALENDARS = CollectionKind(
    name="calendar",
    ns=CALDAV,
    home_set="calendar-home-set",
    well_known="/.well-known/caldav",
    multiget="calendar-multiget",
    data="calendar-data",
    none_found=_("No calendar was found for this account on %(host)s."),
    not_this_kind=_("%(path)s on %(host)s is not a calendar."),
)
ADDRESS_BOOKS = CollectionKind(
    name="addressbook",
    ns=CARDDAV,
    home_set="addressbook-home-set",
    well_known="/.well-known/carddav",
    multiget="addressbook-multiget",
    data="address-data",
    none_found=_("No address book was found for this account on %(host)s."),
    not_this_kind=_("%(path)s on %(host)s is not an address book."),
)


@dataclass(frozen=True, slots=True)
class DavCollection:
    url: str
    name: str
    kind: str


def find_collections(client: DavClient, kind: CollectionKind) -> list[DavCollection]:
    """The account's calendars (with events) or address books, in the server's order.

    The account URL may be the collection itself, the user's principal or home, or just
    the server (then ``current-user-principal``, else ``/.well-known``, finds the user).
    Raises :class:`CollectionNotFound` when there is none.
    """
    start = client.account.url
    host = client.account.host
    probe = [
        (DAV, "resourcetype"),
        (DAV, "displayname"),
        (DAV, "current-user-principal"),
        (kind.ns, kind.home_set),
    ]
    here = _first(client.propfind(start, probe, "0"))
    if here is not None and here.is_a(kind.ns, kind.name):
        return [DavCollection(start, here.text(DAV, "displayname"), kind.name)]
    homes = here.hrefs(kind.ns, kind.home_set) if here is not None else []
    if not homes:
        principals = here.hrefs(DAV, "current-user-principal") if here is not None else []
        if not principals:
            try:
                known = _first(client.propfind(client.url(kind.well_known), probe, "0"))
            except (CollectionNotFound, AccessDenied, ServerError):
                known = None
            principals = known.hrefs(DAV, "current-user-principal") if known else []
        for principal in principals[:1]:
            got = _first(client.propfind(client.url(principal), [(kind.ns, kind.home_set)], "0"))
            homes = got.hrefs(kind.ns, kind.home_set) if got is not None else []
    found: list[DavCollection] = []
    for home in homes:
        listing = client.propfind(
            client.url(home),
            [
                (DAV, "resourcetype"),
                (DAV, "displayname"),
                (CALDAV, "supported-calendar-component-set"),
            ],
            "1",
        )
        for res in listing:
            if not res.is_a(kind.ns, kind.name) or not _holds_events(res, kind):
                continue
            found.append(
                DavCollection(client.url(res.href), res.text(DAV, "displayname"), kind.name)
            )
    if not found:
        raise CollectionNotFound(kind.none_found, host=host)
    return found


def _first(resources: list[DavResource]) -> DavResource | None:
    return resources[0] if resources else None


def _holds_events(res: DavResource, kind: CollectionKind) -> bool:
    if kind is not CALENDARS:
        return True
    comps = res.props.get(_clark(CALDAV, "supported-calendar-component-set"))
    if comps is None or not len(comps):
        return True  # not said: any component
    return any(c.get("name", "").upper() == "VEVENT" for c in comps)


# -- sync -----------------------------------------------------------------------------


@dataclass
class SyncState:
    """What the last sync of one collection saw; store ``to_dict()`` as JSON.

    ``etags`` and ``uids`` are by href (the decoded absolute path).
    """

    url: str = ""
    sync_token: str = ""
    ctag: str = ""
    # One entry per object: left out of the repr, which would run to megabytes.
    etags: dict[str, str] = field(default_factory=dict, repr=False)
    uids: dict[str, str] = field(default_factory=dict, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "sync_token": self.sync_token,
            "ctag": self.ctag,
            "etags": dict(self.etags),
            "uids": dict(self.uids),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Raises ValueError when ``data`` is not a state this module wrote."""
        try:
            state = cls(
                url=str(data.get("url", "")),
                sync_token=str(data.get("sync_token", "")),
                ctag=str(data.get("ctag", "")),
                etags={str(k): str(v) for k, v in dict(data.get("etags", {})).items()},
                uids={str(k): str(v) for k, v in dict(data.get("uids", {})).items()},
            )
        except (AttributeError, TypeError, ValueError) as exc:
            raise ValueError(f"not a sync state: {exc}") from None
        return state


@dataclass(frozen=True, slots=True)
class Fetched:
    href: str
    etag: str
    data: bytes


@dataclass
class Delta:
    """What changed in a collection: the new or changed objects (fetched) and the gone."""

    fetched: list[Fetched]
    removed: list[str]
    full: bool  # True: the etags were compared (first sync, or no usable token)
    sync_token: str
    ctag: str
    etags: dict[str, str]


def sync_collection(
    client: DavClient,
    url: str,
    kind: CollectionKind,
    state: SyncState,
    *,
    refetch: Iterable[str] = (),
) -> Delta:
    """Changes of the collection at ``url`` since ``state``; ``refetch`` hrefs are fetched
    again even when unchanged (recurring events whose window moved).

    With a sync token the server lists the changes (RFC 6578); a token it no longer
    knows (403/409 valid-sync-token) or a server without the report falls back to the
    full listing, compared etag by etag, so the result is the same either way.
    """
    host, path = urlsplit(url).netloc, _collection_path(url)
    changed: dict[str, str] | None = None
    removed: list[str] = []
    token, ctag, full = "", state.ctag, False
    if state.sync_token:
        try:
            token, changed, removed = _changes_by_token(client, url, kind, state)
        except _SyncTokenInvalid:
            log.info("sync token of %s refused: comparing etags", path)
            changed = None
    if changed is None:
        full = True
        info = _first(
            client.propfind(
                url, [(DAV, "resourcetype"), (DAV, "sync-token"), (CALSERVER, "getctag")], "0"
            )
        )
        if info is None or not info.is_a(kind.ns, kind.name):
            raise CollectionNotFound(kind.not_this_kind, host=host, path=path)
        token, ctag = info.text(DAV, "sync-token"), info.text(CALSERVER, "getctag")
        if ctag and ctag == state.ctag and state.etags:
            changed, removed = {}, []
        else:
            current = _list_etags(client, url, path)
            changed = {h: e for h, e in current.items() if state.etags.get(h) != e}
            removed = [h for h in state.etags if h not in current]
    etags = {h: e for h, e in state.etags.items() if h not in removed}
    wanted = dict(changed)
    for href in refetch:
        if href in etags and href not in wanted:
            wanted[href] = etags[href]
    fetched, missing = _multiget(client, url, kind, list(wanted))
    for item in fetched:
        etags[item.href] = item.etag
    for href in missing:  # deleted between the listing and the fetch
        etags.pop(href, None)
        if href in state.etags and href not in removed:
            removed.append(href)
    return Delta(fetched, removed, full, token, ctag, etags)


def _changes_by_token(
    client: DavClient, url: str, kind: CollectionKind, state: SyncState
) -> tuple[str, dict[str, str], list[str]]:
    path = _collection_path(url)
    token = state.sync_token
    changed: dict[str, str] = {}
    removed: dict[str, None] = {}
    for _round in range(MAX_SYNC_ROUNDS):
        body = (
            _xml_head("D:sync-collection")
            + f"<D:sync-token>{escape(token)}</D:sync-token><D:sync-level>1</D:sync-level>"
            + _prop_xml([(DAV, "getetag"), (DAV, "resourcetype")])
            + "</D:sync-collection>"
        )
        resources, new_token, resp = client.multistatus("REPORT", url, body, "1")
        if resp.status_code != 207 or not new_token:
            raise _SyncTokenInvalid()
        truncated = False
        for res in resources:
            if _collection_path(res.href) == path:
                truncated = truncated or res.status == 507
                continue
            if res.status == 404:
                removed[res.href] = None
                changed.pop(res.href, None)
            elif not res.is_a(DAV, "collection"):
                etag = res.text(DAV, "getetag")
                if etag and state.etags.get(res.href) == etag:
                    continue
                changed[res.href] = etag
                removed.pop(res.href, None)
        token = new_token
        if not truncated:
            break
    gone = [h for h in removed if h in state.etags]
    return token, changed, gone


def _list_etags(client: DavClient, url: str, path: str) -> dict[str, str]:
    listing = client.propfind(url, [(DAV, "getetag"), (DAV, "resourcetype")], "1")
    return {
        res.href: res.text(DAV, "getetag")
        for res in listing
        if _collection_path(res.href) != path and not res.is_a(DAV, "collection")
    }


def _multiget(
    client: DavClient, url: str, kind: CollectionKind, hrefs: list[str]
) -> tuple[list[Fetched], list[str]]:
    fetched: list[Fetched] = []
    missing: list[str] = []
    prefix = _PREFIXES[kind.ns]
    for chunk in _chunks(hrefs, MULTIGET_CHUNK):
        body = (
            _xml_head(f"{prefix}:{kind.multiget}")
            + _prop_xml([(DAV, "getetag"), (kind.ns, kind.data)])
            + "".join(f"<D:href>{escape(quote(h))}</D:href>" for h in chunk)
            + f"</{prefix}:{kind.multiget}>"
        )
        resources, _token, resp = client.multistatus("REPORT", url, body, "1")
        if resp.status_code != 207:
            raise ServerError(host=client.account.host, path=_path_of(url), status=resp.status_code)
        seen: set[str] = set()
        for res in resources:
            seen.add(res.href)
            data = res.props.get(_clark(kind.ns, kind.data))
            if res.status == 404 or data is None:
                missing.append(res.href)
                continue
            fetched.append(
                Fetched(res.href, res.text(DAV, "getetag"), (data.text or "").encode("utf-8"))
            )
        missing.extend(h for h in chunk if h not in seen)
    return fetched, missing


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
