"""Projects in the admin: read mostly; files are never linked (they are served only by
the permission-checked download views)."""

from django.contrib import admin

from geflecht.lib.admin import TenantAdmin, TenantInline
from geflecht.projects.models import Document, DocumentVersion, Project, ProjectMember


class MemberInline(TenantInline):
    model = ProjectMember
    extra = 0
    fields = ["person", "side", "role"]
    raw_id_fields = ["person"]


@admin.register(Project)
class ProjectAdmin(TenantAdmin):
    list_display = ["name", "organization", "stage", "value", "close_date", "tenant"]
    list_filter = ["stage", "tenant"]
    search_fields = ["name", "organization__name"]
    list_select_related = ["organization", "tenant"]
    raw_id_fields = ["organization", "site", "parent", "owner"]
    inlines = [MemberInline]


class VersionInline(TenantInline):
    model = DocumentVersion
    extra = 0
    fields = ["number", "filename", "content_type", "size", "sha256", "uploaded_by", "created_at"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False  # uploads go through the action, which checks type and size


@admin.register(Document)
class DocumentAdmin(TenantAdmin):
    list_display = ["title", "project", "tenant"]
    search_fields = ["title", "project__name"]
    list_select_related = ["project", "tenant"]
    readonly_fields = ["project", "created_by"]
    inlines = [VersionInline]
