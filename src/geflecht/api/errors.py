"""API errors: JSON with a stable ``code``, a human ``message`` and, for bad input, the fields.

Every error the API returns has this shape, whatever raised it:

    {"code": "validation_error", "message": "…", "errors": [{"field": "last_name", "message": "…"}]}
"""

from __future__ import annotations

import functools
import json

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from geflecht.lib.errors import (
    CONFLICT,
    FORBIDDEN,
    INVALID,
    NOT_FOUND,
    DomainError,
    ExternalError,
    classify,
    message_of,
)


class ApiError(Exception):
    """An error with a status, a stable code and a message; raised by endpoints."""

    def __init__(self, status: int, code: str, message: str, **extra) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra


def _field_errors(exc: DjangoValidationError) -> list[dict]:
    if hasattr(exc, "error_dict"):
        return [
            {"field": "" if field == "__all__" else field, "message": message}
            for field, messages in exc.message_dict.items()
            for message in messages
        ]
    return [{"field": "", "message": message} for message in exc.messages]


def _loc_to_field(loc) -> str:
    # ninja reports ("body", "payload", "last_name") or ("query", "limit"): keep the field path.
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "payload")]
    return ".".join(parts)


def install(api: NinjaAPI) -> None:
    """Register the handlers that turn every failure into the one error shape."""

    def reply(request, status, code, message, **extra):
        return api.create_response(
            request, {"code": code, "message": message, **extra}, status=status
        )

    @api.exception_handler(ApiError)
    def api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
        return reply(request, exc.status, exc.code, exc.message, **exc.extra)

    @api.exception_handler(NinjaValidationError)
    def bad_request(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        errors = [
            {"field": _loc_to_field(e.get("loc", ())), "message": e.get("msg", "invalid")}
            for e in exc.errors
        ]
        named = ", ".join(sorted({e["field"] for e in errors if e["field"]})) or "the request"
        return reply(request, 422, "validation_error", f"Invalid input: {named}.", errors=errors)

    def domain_error(request: HttpRequest, exc: Exception) -> HttpResponse:
        # The one mapping of lib.errors (NotFound 404, NotAllowed 403, Conflict 409,
        # Invalid 422, Unavailable 502), shared with the web and the CLI.
        kind = classify(exc)
        assert kind is not None
        extra: dict = {}
        if kind is INVALID and isinstance(exc, DjangoValidationError):
            extra["errors"] = _field_errors(exc)
        elif kind is INVALID and isinstance(exc, ExternalError):
            # An account setting the server refused: the field lets a form mark it.
            extra["errors"] = [{"field": exc.field, "message": message_of(exc)}]
        elif kind is CONFLICT:
            extra["current_version"] = getattr(exc, "current_version", None)
        elif kind is NOT_FOUND:
            # One message for "missing" and "not yours": existence must not leak.
            return reply(request, 404, "not_found", str(exc) or "Not found.")
        default = "You may not do this." if kind is FORBIDDEN else "Invalid input."
        return reply(request, kind.status, kind.code, message_of(exc) or default, **extra)

    domain_errors = (DomainError, ObjectDoesNotExist, Http404, PermissionDenied)
    for error in (*domain_errors, DjangoValidationError):
        api.add_exception_handler(error, domain_error)  # type: ignore[arg-type]

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return reply(
            request,
            401,
            "not_authenticated",
            "Log in, or send a personal API token as 'Authorization: Bearer <token>'.",
        )

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        code = {400: "bad_request", 405: "method_not_allowed", 429: "throttled"}
        return reply(request, exc.status_code, code.get(exc.status_code, "error"), exc.message)


#: Query parameters that may be repeated (lists); every other one must appear once.
LIST_PARAMETERS = frozenset({"avoid"})


_UNSTORABLE = "Text must be valid Unicode without NUL characters."


def _storable(text: str) -> bool:
    """Text a database can keep: no NUL (PostgreSQL refuses it), no lone surrogates."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _unstorable_fields(value, path: str = "") -> list[str]:
    if isinstance(value, str):
        return [] if _storable(value) else [path]
    if isinstance(value, dict):
        return [
            f
            for key, item in value.items()
            for f in ([path or str(key)] if not _storable(str(key)) else [])
            + _unstorable_fields(item, f"{path}.{key}" if path else str(key))
        ]
    if isinstance(value, list):
        return [f for i, item in enumerate(value) for f in _unstorable_fields(item, f"{path}.{i}")]
    return []


def strict_request(api: NinjaAPI):
    """A decorator for every view: refuse what the document does not allow but a lenient
    parser would quietly accept, a scalar query parameter given twice (which value did
    the client mean?) and a JSON body that is not an object. It runs before ninja's own
    validation, outside its error handling, so it answers itself."""

    def reply(request, message, errors):
        body = {"code": "validation_error", "message": message, "errors": errors}
        return api.create_response(request, body, status=422)

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            repeated = sorted(
                key
                for key, values in request.GET.lists()
                if len(values) > 1 and key not in LIST_PARAMETERS
            )
            if repeated:
                return reply(
                    request,
                    f"Give each of these parameters once: {', '.join(repeated)}.",
                    [{"field": key, "message": "given more than once"} for key in repeated],
                )
            if any(not _storable(v) for values in request.GET.lists() for v in values[1]):
                return reply(request, _UNSTORABLE, [{"field": "", "message": _UNSTORABLE}])
            # Multipart bodies (file uploads) are parsed by Django into request.FILES;
            # reading them whole here would refuse any file over the in-memory limit.
            multipart = request.content_type.startswith("multipart/")
            if request.method in ("POST", "PUT", "PATCH") and not multipart and request.body:
                try:
                    body = json.loads(request.body)
                except ValueError:
                    body = {}  # not JSON at all: the parser answers 400 with its own message
                if not isinstance(body, dict):
                    return reply(
                        request,
                        "The request body must be a JSON object.",
                        [{"field": "", "message": "not a JSON object"}],
                    )
                bad = _unstorable_fields(body)
                if bad:
                    errors = [{"field": f, "message": _UNSTORABLE} for f in bad]
                    return reply(request, _UNSTORABLE, errors)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
