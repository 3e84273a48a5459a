"""Admin building blocks that keep the privacy rules: the admin is one more door."""

from __future__ import annotations

from django.contrib import admin

from geflecht.lib.visibility import visible_q


class TenantAdmin(admin.ModelAdmin):
    """Staff of a tenant see their tenant's rows; installation admins see all tenants.

    ``people_fields`` name foreign keys to people: rows about a person the user may not
    see (a colleague's private contact) are left out too.
    """

    people_fields: tuple[str, ...] = ()

    def get_queryset(self, request):
        rows = super().get_queryset(request)
        if request.user.tenant_id is not None:
            rows = rows.filter(tenant_id=request.user.tenant_id)
        for field in self.people_fields:
            rows = rows.filter(visible_q(request.user, field))
        return rows


class PrivacyAdmin(TenantAdmin):
    """Private and team rows stay with their owner (and team) even for administrators."""

    def get_queryset(self, request):
        return super().get_queryset(request).filter(visible_q(request.user))
