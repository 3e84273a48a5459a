from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from geflecht.accounts.actions import remove_user
from geflecht.accounts.models import Tenant, User


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "created_at"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(User)
class UserAdmin(BaseUserAdmin):
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
