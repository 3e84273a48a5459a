"""An overlong search is answered by the app: shortened, with a message that says so."""

from __future__ import annotations

from django.urls import reverse


def test_overlong_search_is_shortened_with_a_message(client, owner):
    client.force_login(owner)
    response = client.get(reverse("search"), {"q": "Zwölfhaus " * 500})  # 5,000 characters
    assert response.status_code == 200
    assert len(response.context["q"]) <= 200
    assert b"at most 200 characters" in response.content
    for header in ("Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options"):
        assert response.headers[header]


def test_a_normal_search_has_no_length_message(client, owner):
    client.force_login(owner)
    response = client.get(reverse("search"), {"q": "Schmidt"})
    assert b"at most 200 characters" not in response.content
