"""Security settings a user relies on: hashing, throttling, headers, CSP, secret handling."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings
from django.test import Client
from django.urls import reverse

from geflecht.accounts.models import User


def test_passwords_are_hashed_with_argon2(owner, settings):
    from geflecht import settings as installation

    settings.PASSWORD_HASHERS = installation.PASSWORD_HASHERS  # the suite's is a fast one
    owner.set_password("x-Geflecht-2026")
    owner.save()
    owner.refresh_from_db()
    assert owner.password.startswith("argon2$")
    assert owner.check_password("x-Geflecht-2026")


def test_login_is_locked_after_repeated_failures(owner):
    client = Client()
    statuses = [
        client.post(reverse("login"), {"username": "anna", "password": "falsch"}).status_code
        for _ in range(settings.AXES_FAILURE_LIMIT)
    ]
    assert statuses[:-1] == [200] * (settings.AXES_FAILURE_LIMIT - 1)  # the form, with its error
    locked = client.post(reverse("login"), {"username": "anna", "password": "x-Geflecht-2026"})
    assert locked.status_code == 429
    assert "locked" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    # Another account from the same address can still log in.
    User.objects.create_user(username="bernd", password="x-Geflecht-2026", tenant=owner.tenant)
    ok = client.post(reverse("login"), {"username": "bernd", "password": "x-Geflecht-2026"})
    assert ok.status_code == 302


def test_a_successful_login_resets_the_failure_count(owner):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        client.post(reverse("login"), {"username": "anna", "password": "falsch"})
    assert (
        client.post(
            reverse("login"), {"username": "anna", "password": "x-Geflecht-2026"}
        ).status_code
        == 302
    )
    client.post(reverse("logout"))
    client.post(reverse("login"), {"username": "anna", "password": "falsch"})
    ok = client.post(reverse("login"), {"username": "anna", "password": "x-Geflecht-2026"})
    assert ok.status_code == 302


def test_pages_send_a_strict_content_security_policy(db):
    response = Client().get(reverse("login"))
    policy = response["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
    assert directives["script-src"] == "'self'"
    assert directives["default-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_no_template_contains_inline_script_or_event_handlers():
    """A CSP without 'unsafe-inline' would block them, so none may exist."""
    root = Path(settings.BASE_DIR)
    offenders = []
    for template in root.rglob("templates/**/*.html"):
        text = template.read_text()
        for match in re.finditer(r"<script\b([^>]*)>", text):
            attributes = match.group(1)
            if "src=" not in attributes and "application/json" not in attributes:
                offenders.append(f"{template.relative_to(root)}: inline <script>")
        if re.search(r"\son[a-z]+\s*=\s*[\"']", text):
            offenders.append(f"{template.relative_to(root)}: inline event handler")
        if re.search(r"\sstyle\s*=\s*[\"']", text):
            offenders.append(f"{template.relative_to(root)}: inline style attribute")
    assert offenders == []


def test_session_cookie_is_http_only_and_same_site(owner):
    client = Client()
    client.post(reverse("login"), {"username": "anna", "password": "x-Geflecht-2026"})
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"


def test_no_secret_key_in_the_repository():
    assert settings.SECRET_KEY
    root = Path(settings.BASE_DIR).parents[1]
    for path in (root / "src").rglob("*.py"):
        assert settings.SECRET_KEY not in path.read_text(), path


def test_token_command_creates_lists_and_revokes(owner):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("token", "create", "--user", "anna", "--name", "CRM sync", stdout=out)
    secret = out.getvalue().splitlines()[1]
    api = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert api.get("/api/v1/me").json()["username"] == "anna"
    listing = StringIO()
    call_command("token", "list", "--user", "anna", stdout=listing)
    assert "CRM sync" in listing.getvalue() and secret not in listing.getvalue()
    token_id = owner.api_tokens.get().pk
    call_command("token", "revoke", "--user", "anna", "--id", str(token_id), stdout=StringIO())
    assert api.get("/api/v1/me").status_code == 401
