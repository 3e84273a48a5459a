"""The security headers of every answer, also of the answers Django's middleware never
sees: static files (WhiteNoise answers before the CSP and frame middleware run) and
gunicorn's own error pages (a request line or header too long for the server).

The values come from the settings the middleware reads (``CONTENT_SECURITY_POLICY``,
``X_FRAME_OPTIONS``, ``SECURE_REFERRER_POLICY``, ...), so there is one policy.
"""

from __future__ import annotations

import html
from functools import cache

__all__ = ["add_static_headers", "security_headers", "write_server_error"]


@cache
def security_headers() -> dict[str, str]:
    """The headers every answer carries, as the middleware would set them."""
    from csp.utils import build_policy
    from django.conf import settings

    headers = {
        "Content-Security-Policy": build_policy(),
        "X-Frame-Options": settings.X_FRAME_OPTIONS,
        "Referrer-Policy": settings.SECURE_REFERRER_POLICY,
        "Cross-Origin-Opener-Policy": settings.SECURE_CROSS_ORIGIN_OPENER_POLICY,
    }
    if settings.SECURE_CONTENT_TYPE_NOSNIFF:
        headers["X-Content-Type-Options"] = "nosniff"
    return {name: value for name, value in headers.items() if value}


def add_static_headers(headers, path: str, url: str) -> None:
    """``WHITENOISE_ADD_HEADERS_FUNCTION``: static files get the security headers too."""
    for name, value in security_headers().items():
        headers[name] = value


_MESSAGES = {
    414: "This address is too long for the server. A search takes at most 200 characters: "
    "shorten it and try again.",
    431: "The request carries too much (cookies or headers) for the server. Log out and in "
    "again, or clear this site's cookies.",
}


def write_server_error(sock, status_int: int, reason: str, mesg: str) -> None:
    """A stand-in for ``gunicorn.util.write_error``: the server's own error page (a
    request it cannot even hand to the app) with the security headers and a message
    that says what to do, styled by the app's stylesheet (no inline style)."""
    from gunicorn import util

    text = _MESSAGES.get(status_int, mesg)
    body = (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(reason)} – Geflecht</title>"
        '<link rel="stylesheet" href="/static/web/geflecht.css"></head>'
        f'<body><main class="card"><h1>{html.escape(reason)}</h1>'
        f'<p>{html.escape(text)}</p><p><a href="/">Geflecht</a></p></main></body></html>\n'
    ).encode()
    head = [
        f"HTTP/1.1 {status_int} {reason}",
        "Connection: close",
        "Content-Type: text/html; charset=utf-8",
        f"Content-Length: {len(body)}",
        *(f"{name}: {value}" for name, value in security_headers().items()),
    ]
    util.write_nonblock(sock, ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
