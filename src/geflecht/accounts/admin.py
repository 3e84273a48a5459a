"""Logins and tenants in the admin: a tenant admin sees their own tenant and its users,
and gives nobody (themselves included) the installation's superuser rights. Logins are
added, changed and removed through accounts.actions and privacy.leaving; tenants are
plain rows (see lib.admin)."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from geflecht.accounts import actions
from geflecht.accounts.models import Tenant, User
from geflecht.lib.admin import TenantAdmin, TenantScoped, WritesThroughActions, changes
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
class UserAdmin(WritesThroughActions, TenantScoped, BaseUserAdmin):
    list_display = ["username", "email", "tenant", "person", "role", "is_staff"]
    list_filter = ["tenant", "role", "is_staff", "is_active"]
    list_select_related = ["tenant", "person"]
    autocomplete_fields = ["person"]
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        (_("Geflecht"), {"fields": ("tenant", "person", "role")}),
    )

    installation_writes = True  # an installation admin manages every tenant's logins

    def create(self, request, obj, form):
        data = form.cleaned_data
        usable = data.get("usable_password", "true") != "false"
        return actions.add_user(
            request.user,
            username=data["username"],
            password=data.get("password1") if usable else None,
        )

    def update(self, request, obj, form):
        fields = changes(form, skip=["password"])
        for name in ("tenant", "groups", "user_permissions", "teams"):
            if name in form.changed_data:  # the action says who may set which
                fields[name] = form.cleaned_data[name]
        return actions.update_user(request.user, obj, **fields)

    # Deleting a user is removing them: their private records are erased with them
    # (``geflecht user remove --hand-over-to`` hands them over instead), the graph
    # forgets their private ties. A plain delete would fail on "private needs an owner".
    def delete(self, request, obj):
        remove_user(request.user, obj, private_records="erase")

    def get_deleted_objects(self, objs, request):
        """The confirmation names the logins only: remove_user decides what goes with
        them (their private records, which the acting admin may not see, nor be shown)."""
        users = list(objs)
        label = str(User._meta.verbose_name).capitalize()
        shown = [format_html("{}: {}", label, u) for u in users]
        return shown, {User._meta.verbose_name_plural: len(users)}, set(), []

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
