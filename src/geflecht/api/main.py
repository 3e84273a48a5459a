"""The API object: version, authentication, error shape and the domain routers."""

from __future__ import annotations

from ninja import NinjaAPI

from geflecht.api import (
    accounts,
    connections,
    errors,
    events,
    imports,
    intros,
    jobs,
    network,
    partners,
    people,
    privacy,
    projects,
    skills,
)

_ERRORS = {
    "400": "The request body is not valid JSON.",
    "401": "Not authenticated: no or an unknown/revoked token, or no session.",
    "403": "Not allowed, e.g. a read-only account writing.",
    "404": "Not found, or not visible to you (the two look the same).",
    "409": "Conflict: someone else changed the record since the version you sent.",
    "422": "Invalid input; `errors` names the fields.",
    "428": "An edit without the version it is based on.",
}
_ERROR_SCHEMA = {
    "type": "object",
    "required": ["code", "message"],
    "properties": {
        "code": {"type": "string"},
        "message": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
        "current_version": {},
    },
}


_BOUNDS = {"ge": "minimum", "le": "maximum", "gt": "exclusiveMinimum", "lt": "exclusiveMaximum"}


def _json_schema_bounds(node) -> None:
    """Pydantic writes the bounds of a field whose type has its own before-validator
    (``Int``, ``Number``) as ``ge``/``le``, which JSON Schema does not know: clients and
    schemathesis would read those fields as unbounded. Rename them to the real keywords."""
    if isinstance(node, dict):
        if node.get("type") in ("integer", "number"):
            for short, keyword in _BOUNDS.items():
                if short in node:
                    node[keyword] = node.pop(short)
        for value in node.values():
            _json_schema_bounds(value)
    elif isinstance(node, list):
        for value in node:
            _json_schema_bounds(value)


def _no_null_in_forms(operation: dict) -> None:
    """A multipart form cannot send null: an optional form field is left out instead, so
    the document offers only its non-null alternative; a file has at least one byte."""
    content = operation.get("requestBody", {}).get("content", {})
    form = content.get("multipart/form-data", {}).get("schema", {})
    for name, prop in form.get("properties", {}).items():
        if prop.get("format") == "binary":
            # An empty file part is no file at all to the multipart parser.
            prop.setdefault("minLength", 1)
        options = [o for o in prop.get("anyOf", ()) if o.get("type") != "null"]
        if "anyOf" in prop and len(options) == 1:
            rest = {k: v for k, v in prop.items() if k != "anyOf"}
            form["properties"][name] = {**options[0], **rest}


class GeflechtAPI(NinjaAPI):
    """Documents the one error shape on every operation, so clients (and schemathesis)
    know every status an endpoint can answer with."""

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = _ERROR_SCHEMA
        _json_schema_bounds(schema["components"])
        _json_schema_bounds(schema["paths"])
        ref = {"$ref": "#/components/schemas/Error"}
        for operations in schema["paths"].values():
            for operation in operations.values():
                _no_null_in_forms(operation)
                responses = operation.setdefault("responses", {})
                for status, description in _ERRORS.items():
                    responses.setdefault(
                        status,
                        {
                            "description": description,
                            "content": {"application/json": {"schema": ref}},
                        },
                    )
        return schema


api = GeflechtAPI(
    title="Geflecht API",
    version="1",
    description=(
        "Who knows whom, how well, and who can do what. Authenticate with a personal API "
        "token (`Authorization: Bearer gft_…`) or the web session. Lists page with "
        "`limit`/`offset`; edits send the version they are based on and get 409 when "
        "someone else changed the record in between. Errors are JSON with a stable `code`, "
        "a `message` and, for bad input, the fields."
    ),
    urls_namespace="api-v1",
    auth=[accounts.token_auth, accounts.session_auth],
)
errors.install(api)
api.add_decorator(errors.strict_request(api), mode="view")
api.add_router("/", accounts.router, tags=["accounts"])
api.add_router("/", people.router, tags=["people"])
api.add_router("/", network.router, tags=["network"])
api.add_router("/", privacy.router, tags=["data protection"])
api.add_router("/", projects.router, tags=["projects"])
api.add_router("/", events.router, tags=["events"])
api.add_router("/", intros.router, tags=["introductions"])
api.add_router("/", skills.router, tags=["skills"])
api.add_router("/", partners.router, tags=["partners"])
api.add_router("/", jobs.router, tags=["jobs"])
api.add_router("/", connections.router, tags=["connected accounts"])
api.add_router("/", imports.router, tags=["imports"])
