"""Projects in the admin, written through projects.actions (who may change or delete a
project is ``projects.queries.may_change``/``may_delete`` here too); files are never
linked (they are served only by the permission-checked download views)."""

from django.contrib import admin

from geflecht.lib.admin import (
    LOADED_VERSION,
    ActionAdmin,
    ActionInline,
    TenantInline,
    changes,
    values,
)
from geflecht.projects import actions
from geflecht.projects.models import Document, DocumentVersion, Project, ProjectMember

_VERSION_FIELDS = (
    "number",
    "filename",
    "content_type",
    "size",
    "sha256",
    "uploaded_by",
    "created_at",
)


class MemberInline(ActionInline):
    model = ProjectMember
    extra = 0
    fields = ["person", "side", "role"]
    readonly_fields = ["side"]  # follows from the role
    raw_id_fields = ["person"]

    def create(self, request, parent, form):
        data = form.cleaned_data
        return actions.add_member(request.user, parent, data["person"], data["role"])

    def update(self, request, obj, form):
        data = form.cleaned_data
        if data["person"].pk != obj.person_id:
            actions.remove_member(request.user, obj)
        return actions.add_member(request.user, obj.project, data["person"], data["role"])

    def delete(self, request, obj):
        actions.remove_member(request.user, obj)


@admin.register(Project)
class ProjectAdmin(ActionAdmin):
    list_display = ["name", "organization", "stage", "value", "close_date", "tenant"]
    list_filter = ["stage", "tenant"]
    search_fields = ["name", "organization__name"]
    list_select_related = ["organization", "tenant"]
    raw_id_fields = ["organization", "site", "parent"]
    inlines = [MemberInline]

    def get_readonly_fields(self, request, obj=None):
        # Its creator owns it; the version counts the edits; a project stays at its
        # customer (another customer's is another project).
        fixed = ["owner", "version"]
        return [*fixed, "organization"] if obj is not None else fixed

    def version_of(self, obj):
        return str(obj.version)

    def create(self, request, obj, form):
        user, fields = request.user, values(form)
        org, name = fields.pop("organization"), fields.pop("name")
        project = actions.create_project(user, org, name=name, **fields)
        if form.cleaned_data.get("skills_needed"):
            actions.set_skills_needed(user, project, form.members("skills_needed"))
        return project

    def update(self, request, obj, form):
        user = request.user
        project = actions.update_project(
            user, obj, expected_version=form.cleaned_data[LOADED_VERSION], **changes(form)
        )
        if "skills_needed" in form.changed_data:
            actions.set_skills_needed(user, project, form.members("skills_needed"))
        return project

    def delete(self, request, obj):
        actions.delete_project(request.user, obj)


class VersionInline(TenantInline):
    model = DocumentVersion
    extra = 0
    fields = readonly_fields = _VERSION_FIELDS
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False  # uploads go through the action, which checks type and size


@admin.register(Document)
class DocumentAdmin(ActionAdmin):
    list_display = ["title", "project", "tenant"]
    search_fields = ["title", "project__name"]
    list_select_related = ["project", "tenant"]
    readonly_fields = ["project", "created_by"]
    inlines = [VersionInline]

    # No create: a document is uploaded on its project's page (upload_document).
    def update(self, request, obj, form):
        return actions.rename_document(request.user, obj, form.cleaned_data["title"])

    def delete(self, request, obj):
        actions.delete_document(request.user, obj)
