"""Writes on tenants and users."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from geflecht.accounts.models import Tenant, User


@transaction.atomic
def create_user(
    *,
    username: str,
    password: str,
    tenant_slug: str,
    email: str = "",
    role: str = "member",
    staff: bool = False,
) -> User:
    """Create a login in the tenant ``tenant_slug``, creating the tenant on first use."""
    UserModel = get_user_model()
    if UserModel.objects.filter(username=username).exists():
        raise ValidationError(f"A user named {username!r} already exists.")
    tenant, _ = Tenant.objects.get_or_create(
        slug=slugify(tenant_slug), defaults={"name": tenant_slug}
    )
    user = UserModel(username=username, email=email, tenant=tenant, role=role, is_staff=staff)
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    return user
