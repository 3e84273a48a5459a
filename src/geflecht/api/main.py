"""The API object: version, authentication, error shape and the domain routers."""

from __future__ import annotations

from ninja import NinjaAPI

from geflecht.api import accounts, errors, network, people

api = NinjaAPI(
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
api.add_router("/", accounts.router, tags=["accounts"])
api.add_router("/", people.router, tags=["people"])
api.add_router("/", network.router, tags=["network"])
