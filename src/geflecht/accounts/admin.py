"""Logins and tenants in the admin: a tenant admin sees their own tenant and its users,
and gives nobody (themselves included) the installation's superuser rights."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from geflecht.accounts.models import Tenant, User
from geflecht.lib.admin import TenantAdmin, TenantScoped
from geflecht.privacy.leaving import remove_user

#: Fields only an installation superuser may set: they reach beyond one tenant.
INSTALLATION_FIELDS = ("is_superuser", "groups", "user_permissions")


@admin.register(Tenant)
class TenantRecordAdmin(TenantAdmin):
    list_display = ["name", "slug", "created_at"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}

    # Tenants are created and removed for the whole installation.
    def has_add_permission(self, request) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser


@admin.register(User)
class UserAdmin(TenantScoped, BaseUserAdmin):
    list_display = ["username", "email", "tenant", "person", "role", "is_staff"]
    list_filter = ["tenant", "role", "is_staff", "is_active"]
    list_select_related = ["tenant", "person"]
    autocomplete_fields = ["person"]
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (_("Geflecht"), {"fields": ("tenant", "person", "role")}),
    )

    # Deleting a user is removing them: their private records are erased with them
    # (``geflecht user remove --hand-over-to`` hands them over instead), the graph
    # forgets their private ties. A plain delete would fail on "private needs an owner".
    def delete_model(self, request, obj):
        remove_user(request.user, obj, private_records="erase")

    def delete_queryset(self, request, queryset):
        for user in queryset:
            remove_user(request.user, user, private_records="erase")

    def get_queryset(self, request):
        rows = super().get_queryset(request)
        # A superuser's login opens every tenant: only another superuser may change it.
        return rows if request.user.is_superuser else rows.filter(is_superuser=False)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser:
            return fieldsets
        return [
            (name, {**opts, "fields": [f for f in opts["fields"] if f not in INSTALLATION_FIELDS]})
            for name, opts in fieldsets
        ]

    def save_model(self, request, obj, form, change):
        if not change and obj.tenant_id is None and request.user.tenant_id is not None:
            obj.tenant_id = request.user.tenant_id  # a tenant admin adds to their tenant
        super().save_model(request, obj, form, change)
