"""Django admin for data protection: the audit log (read-only) and legal-basis records.

Only tenant admins (and installation superusers) see these pages; a tenant admin sees
the entries of their own tenant only.
"""

from django.contrib import admin

from geflecht.lib.admin import TenantAdmin
from geflecht.privacy.models import AuditEntry, PersonPrivacy
from geflecht.privacy.queries import is_tenant_admin


def _allowed(request) -> bool:
    user = request.user
    return user.is_active and user.is_staff and (user.is_superuser or is_tenant_admin(user))


class _TenantScoped(TenantAdmin):
    """Tenant admins only; the rows are scoped by lib.admin (the legal basis of a
    colleague's private contact, with its source, stays with the colleague)."""

    def has_module_permission(self, request) -> bool:
        return _allowed(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return _allowed(request)


@admin.register(AuditEntry)
class AuditEntryAdmin(_TenantScoped):
    list_display = ["at", "username", "action", "person_id", "detail", "tenant"]
    list_filter = ["action", "tenant"]
    search_fields = ["username", "=person_id", "detail"]
    date_hierarchy = "at"
    list_select_related = ["tenant"]
    readonly_fields = ["at", "tenant", "user", "username", "person_id", "action", "detail"]

    # The trail is written by the services only; nobody edits or deletes it here.
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(PersonPrivacy)
class PersonPrivacyAdmin(_TenantScoped):
    list_display = [
        "person",
        "legal_basis",
        "consent_given_at",
        "consent_withdrawn_at",
        "source",
        "updated_at",
    ]
    list_filter = ["legal_basis", "tenant"]
    list_select_related = ["person"]
    search_fields = ["person__last_name", "person__first_name", "source"]
    fields = [
        "person",
        "legal_basis",
        "consent_given_at",
        "consent_withdrawn_at",
        "source",
        "note",
        "updated_by",
    ]
    readonly_fields = ["person", "updated_by"]

    # Records are created by set_legal_basis (audited); the admin only views them.
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
