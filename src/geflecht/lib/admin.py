"""Admin building blocks that keep the privacy rules: the admin is one more door.

Every ModelAdmin and inline of the project derives from :class:`TenantScoped` (through
:class:`TenantAdmin` or :class:`TenantInline`; a test walks the registry). In one place:

- rows: the user's tenant only (installation admins without a tenant see every tenant)
  and of those the rows the user may see (:func:`geflecht.lib.visibility.visible_q`): the
  row itself when it has a visibility, and every record it points to through foreign
  keys, so a colleague's private contact hides its job, legal basis, skills and fair
  visits, and a private firm its sites, capabilities, joint projects and booth. The
  admin finds an object through the queryset, so a hidden one's pages answer like a
  missing one's.
- related fields: foreign keys and many-to-many fields (selects, raw ids, autocompletes)
  offer and accept only rows the user would see on that model's own page; a raw id of a
  hidden row shows no name; hidden members of a many-to-many field stay, unshown.
- permissions: a tenant admin (role admin, staff access) works here without Django model
  permissions and without being a superuser; other staff need model permissions.
"""

from __future__ import annotations

import functools

from django.contrib import admin
from django.contrib.admin import widgets
from django.contrib.admin.utils import NestedObjects
from django.db import models, router
from django.db.models import Q
from django.forms import ModelMultipleChoiceField

from geflecht.lib.visibility import visible_q

#: Records a foreign key may point to that hide nothing themselves (a row's tenant,
#: its author): the way to visibility does not go through them.
_NOT_FOLLOWED = frozenset({"accounts.tenant", "accounts.user"})
_MAX_DEPTH = 3


def _has_visibility(model) -> bool:
    names = {f.name for f in model._meta.concrete_fields}
    return {"visibility", "owner"} <= names


def _forward_relations(model):
    for field in model._meta.concrete_fields:
        if field.is_relation and (field.many_to_one or field.one_to_one):
            yield field


@functools.cache
def visibility_paths(model) -> tuple[tuple[str, bool], ...]:
    """Lookups from ``model`` to the records with an owner and a visibility that decide
    whether a row may be seen ("" for the row itself), each with whether the way there
    may be empty (a nullable foreign key on it)."""
    found: list[tuple[str, bool]] = []

    def walk(current, prefix: str, nullable: bool, depth: int, seen: frozenset) -> None:
        if _has_visibility(current):
            found.append((prefix, nullable))
        if depth == _MAX_DEPTH:
            return
        for field in _forward_relations(current):
            target = field.related_model
            if target._meta.label_lower in _NOT_FOLLOWED or target in seen:
                continue
            lookup = f"{prefix}__{field.name}" if prefix else field.name
            walk(target, lookup, nullable or field.null, depth + 1, seen | {target})

    walk(model, "", False, 0, frozenset({model}))
    return tuple(found)


def seen_rows(queryset: models.QuerySet, user) -> models.QuerySet:
    """The rows of ``queryset`` that ``user`` may see in the admin (see the module)."""
    model = queryset.model
    tenant_id = getattr(user, "tenant_id", None)
    if model._meta.label_lower == "accounts.tenant":
        return queryset if tenant_id is None else queryset.filter(pk=tenant_id)
    paths = visibility_paths(model)
    if tenant_id is not None:
        if any(f.name == "tenant" for f in model._meta.concrete_fields):
            queryset = queryset.filter(tenant_id=tenant_id)
        else:  # participants, addresses: the tenant of the record they belong to
            way = next((p for p, nullable in paths if p and not nullable), None)
            if way is not None:
                queryset = queryset.filter(**{f"{way}__tenant_id": tenant_id})
    for prefix, nullable in paths:
        seen = visible_q(user, prefix)
        queryset = queryset.filter(Q(**{f"{prefix}__isnull": True}) | seen if nullable else seen)
    return queryset


def is_tenant_admin(request) -> bool:
    user = request.user
    return bool(user.is_active and user.is_staff and getattr(user, "is_tenant_admin", False))


class _ScopedRawIdWidget(widgets.ForeignKeyRawIdWidget):
    """A raw id field that names only a record the user may see."""

    def __init__(self, rel, admin_site, *, queryset, **kwargs):
        super().__init__(rel, admin_site, **kwargs)
        self.queryset = queryset

    def label_and_url_for_value(self, value):
        key = self.rel.get_related_field().name
        try:
            if not self.queryset.filter(**{key: value}).exists():
                return "", ""
        except (ValueError, TypeError):
            return "", ""
        return super().label_and_url_for_value(value)


class _KeepsHiddenMembers:
    """A model form mixin: many-to-many fields show only the members the user may see,
    and saving keeps the others (a colleague's private contact stays on the project)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._hidden_members: dict[str, list] = {}
        if self.instance.pk is None:
            return
        for name, field in self.fields.items():
            if not isinstance(field, ModelMultipleChoiceField) or name not in self.initial:
                continue
            current = [getattr(v, "pk", v) for v in self.initial[name]]
            allowed = set(field.queryset.filter(pk__in=current).values_list("pk", flat=True))
            self.initial[name] = [pk for pk in current if pk in allowed]
            self._hidden_members[name] = [pk for pk in current if pk not in allowed]

    def _save_m2m(self):
        super()._save_m2m()
        for name, pks in self._hidden_members.items():
            if pks and name in self.cleaned_data:
                getattr(self.instance, name).add(*pks)


class TenantScoped:
    """Scoping for every admin class (a mixin before Django's ModelAdmin or inline)."""

    def get_queryset(self, request):
        return seen_rows(super().get_queryset(request), request.user)

    def get_field_queryset(self, db, db_field, request):
        rows = super().get_field_queryset(db, db_field, request)
        if rows is None:
            rows = db_field.remote_field.model._default_manager.using(db)
        return seen_rows(rows, request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.raw_id_fields:
            rows = self.get_field_queryset(kwargs.get("using"), db_field, request)
            kwargs["queryset"] = rows
            kwargs["widget"] = _ScopedRawIdWidget(
                db_field.remote_field, self.admin_site, queryset=rows, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_list_filter(self, request):
        filters = super().get_list_filter(request)
        if request.user.tenant_id is None:
            return filters
        return [f for f in filters if f != "tenant"]  # one tenant: nothing to choose

    def get_deleted_objects(self, objs, request):
        """Refuse a delete that would take records the user may not see with it (and
        name them on the confirmation page)."""
        to_delete, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        collector = NestedObjects(using=router.db_for_write(self.model))
        collector.collect(objs)
        for model, instances in collector.data.items():
            pks = [obj.pk for obj in instances]
            rows = seen_rows(model._default_manager.filter(pk__in=pks), request.user)
            if rows.count() != len(set(pks)):
                return [], {}, {model._meta.verbose_name_plural}, []
        return to_delete, counts, perms_needed, protected

    # Tenant admins need no model permissions; the rows are scoped above.
    def has_module_permission(self, request):
        return is_tenant_admin(request) or super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return is_tenant_admin(request) or super().has_view_permission(request, obj)

    def has_add_permission(self, request, *args):
        return is_tenant_admin(request) or super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None):
        return is_tenant_admin(request) or super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return is_tenant_admin(request) or super().has_delete_permission(request, obj)


class TenantAdmin(TenantScoped, admin.ModelAdmin):
    """A model's admin page, scoped (see the module)."""

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form)(form.__name__, (_KeepsHiddenMembers, form), {})


class TenantInline(TenantScoped, admin.TabularInline):
    """Rows shown inside another record's page, scoped like every admin page."""
