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
- writes: :class:`ActionAdmin` (and :class:`ActionInline` for rows inside another
  record's page) save and delete through the domain actions, as ``request.user``: the
  action checks what the user may do, raises the version, writes the audit trail and
  tells the graph, as it does for the web pages and the API. A refusal (``NotAllowed``,
  ``Conflict``, ``Invalid``, ``NotFound``) rolls the whole save back and comes back as
  an error on the form, or as a message for a delete. An edit of a record with a
  version carries the version it was loaded with, so a stale edit is refused. A page
  offers only the writes it has an action for, and only to users of a tenant
  (installation admins without one look; they manage tenants and logins).

Pages that stay on Django's plain saves, and why:

- ``accounts.Tenant``: the installation's list of companies (a name and a slug), added
  and removed by installation superusers only; no version, audit or graph hangs on it.
- e-mail addresses and phone numbers inside a person's page: plain rows of the person,
  saved in the same transaction right after ``update_person`` (which checked the user,
  raised the person's version and is audited as a change of the person).
- a user's password (Django's own password form): a credential, not domain data; only
  those who may change the login reach it.

Pages with no write at all (the domain changes these through its own steps only): the
audit trail and legal bases (privacy), the graph version, introduction requests (asked,
accepted, declined and withdrawn on the requests page), document versions (uploaded
through the upload action, which checks type and size; nor are documents added here).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import widgets
from django.contrib.admin.actions import delete_selected
from django.contrib.admin.utils import NestedObjects, quote
from django.core.exceptions import ValidationError
from django.db import models, router, transaction
from django.db.models import Q
from django.forms import ModelMultipleChoiceField
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _

from geflecht.lib.errors import classify, message_of
from geflecht.lib.visibility import visible_q

if TYPE_CHECKING:
    # The mixins below call the admin's and the form's own methods through super(); the
    # type checker learns of those methods from the classes the mixins are made for.
    _AdminMixin = admin.ModelAdmin
    _FormMixin = forms.ModelForm
else:
    _AdminMixin = _FormMixin = object

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
def visibility_paths(model: type[models.Model]) -> tuple[tuple[str, bool], ...]:
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
    paths = visibility_paths(model)  # type: ignore[arg-type]  # a model class is hashable
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


class _KeepsHiddenMembers(_FormMixin):
    """A model form mixin: many-to-many fields show only the members the user may see,
    and saving keeps the others (a colleague's private contact stays on the project)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._hidden_members: dict[str, list] = {}
        if self.instance.pk is None:
            return
        for name, field in self.fields.items():
            if (
                not isinstance(field, ModelMultipleChoiceField)
                or field.queryset is None
                or name not in self.initial
            ):
                continue
            current = [getattr(v, "pk", v) for v in self.initial[name]]
            allowed = set(field.queryset.filter(pk__in=current).values_list("pk", flat=True))
            self.initial[name] = [pk for pk in current if pk in allowed]
            self._hidden_members[name] = [pk for pk in current if pk not in allowed]

    def _save_m2m(self):
        super()._save_m2m()  # type: ignore[misc]  # ModelForm's, not in its stubs
        for name, pks in self._hidden_members.items():
            if pks and name in self.cleaned_data:
                getattr(self.instance, name).add(*pks)

    def members(self, name: str) -> list[int]:
        """The ids a many-to-many field is to hold: those chosen, and the hidden ones."""
        chosen = [obj.pk for obj in self.cleaned_data.get(name) or ()]
        return [*chosen, *self._hidden_members.get(name, ())]


class TenantScoped(_AdminMixin):
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
        return type(form)(form.__name__, (_KeepsHiddenMembers, form), {})  # type: ignore[misc]


class TenantInline(TenantScoped, admin.TabularInline):
    """Rows shown inside another record's page, scoped like every admin page."""


# ------------------------------------------------------------------ writes through actions
class _Refused(Exception):
    """An action refused an admin write: carries its domain error out to the view, past
    the view's transaction (which rolls everything back)."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(message_of(error))
        self.error = error


def refusing(call, *args, **kwargs):
    """``call(*args, **kwargs)``, with a domain error (lib.errors.classify knows it) made
    a refusal the admin view shows; any other error stays the bug it is."""
    try:
        return call(*args, **kwargs)
    except _Refused:
        raise
    except Exception as exc:
        if classify(exc) is None:
            raise  # a bug, not a refusal: a 500 as everywhere
        raise _Refused(exc) from exc


def _add_refusal(form, error: BaseException) -> None:
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, message_of(error))


class _ShowsRefusal(_FormMixin):
    """A form mixin for the second pass of a refused save: the action's refusal of the
    first pass, as errors on the form the user filled in."""

    refusal: BaseException | None = None

    def clean(self):
        cleaned = super().clean()
        if self.refusal is not None:
            _add_refusal(self, self.refusal)
        return cleaned


#: The hidden form field with the version the edit is based on.
LOADED_VERSION = "loaded_version"


def adopt(obj: models.Model, saved: models.Model) -> None:
    """Make the admin's instance the row the action saved (the admin goes on with its
    own instance: the inlines, the history entry and the redirect use it)."""
    if saved is obj:
        return
    for field in obj._meta.concrete_fields:
        setattr(obj, field.attname, getattr(saved, field.attname))
    obj._state.adding, obj._state.db = False, saved._state.db


def _field_names(form, skip) -> set[str]:
    fields = form._meta.model._meta.concrete_fields
    return {f.name for f in fields if not f.primary_key} - {"tenant", *skip}


def changes(form, *, skip=()) -> dict:
    """The model fields the form changed, with their cleaned values (for an update);
    never the key or the tenant, nor the fields named in ``skip``."""
    names = _field_names(form, skip)
    return {n: form.cleaned_data[n] for n in form.changed_data if n in names}


def values(form, *, skip=()) -> dict:
    """Every model field of the form with its cleaned value (for a create); never the
    key or the tenant, nor the fields named in ``skip``."""
    names = _field_names(form, skip)
    return {n: v for n, v in form.cleaned_data.items() if n in names}


def _delete_selected_through_actions(modeladmin, request, queryset):
    """Django's bulk delete, all or nothing: one refusal keeps every row."""
    try:
        with transaction.atomic(using=router.db_for_write(modeladmin.model)):
            return delete_selected(modeladmin, request, queryset)
    except _Refused as refused:
        modeladmin.message_user(
            request,
            _("Nothing was deleted: %(why)s") % {"why": message_of(refused.error)},
            messages.ERROR,
        )
        return None


class WritesThroughActions(_AdminMixin):
    """Saves and deletes of an admin page through the domain actions (see the module).

    A page says how in :meth:`create`, :meth:`update` and :meth:`delete` (each given the
    request, whose user acts; an update the stored row, the form its changes: see
    :func:`changes`); many-to-many fields are the actions' to set too. A record with a
    version names it in :meth:`version_of`, and :meth:`update` passes
    ``form.cleaned_data[LOADED_VERSION]`` on as the version the edit expects.
    """

    #: Installation admins without a tenant may write here (the actions work inside
    #: one tenant, as a user of it: elsewhere such admins only look).
    installation_writes = False

    def create(self, request, obj, form):
        raise NotImplementedError(f"{type(self).__name__} creates nothing")

    def update(self, request, obj, form):
        raise NotImplementedError(f"{type(self).__name__} changes nothing")

    def delete(self, request, obj) -> None:
        raise NotImplementedError(f"{type(self).__name__} deletes nothing")

    def version_of(self, obj) -> str | None:
        return None

    # -- permissions: what the page has an action for, and only inside a tenant
    def _writes(self, request, how: str) -> bool:
        if getattr(type(self), how) is getattr(WritesThroughActions, how):
            return False
        return self.installation_writes or request.user.tenant_id is not None

    def has_add_permission(self, request, *args):
        return self._writes(request, "create") and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None):
        return self._writes(request, "update") and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._writes(request, "delete") and super().has_delete_permission(request, obj)

    # -- the form: the version it was loaded with, and a refusal to show
    def get_form(self, request, obj=None, change=False, **kwargs):
        if kwargs.get("fields"):  # the form declares it; the model has no such field
            kwargs["fields"] = [f for f in kwargs["fields"] if f != LOADED_VERSION]
        form = super().get_form(request, obj, change=change, **kwargs)
        attrs = {"refusal": getattr(request, "_geflecht_refusal", None)}
        version = self.version_of(obj) if obj is not None else None
        if version is not None:
            attrs[LOADED_VERSION] = forms.IntegerField(
                widget=forms.HiddenInput, initial=version, required=True
            )
        return type(form)(form.__name__, (_ShowsRefusal, form), attrs)  # type: ignore[misc]

    def get_fields(self, request, obj=None):
        return [f for f in super().get_fields(request, obj) if f != LOADED_VERSION]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or self.version_of(obj) is None:
            return fieldsets
        if not self.has_change_permission(request, obj):
            return fieldsets
        (name, opts), *rest = fieldsets
        return [(name, {**opts, "fields": [*opts["fields"], LOADED_VERSION]}), *rest]

    def get_exclude(self, request, obj=None):
        exclude = list(super().get_exclude(request, obj) or ())
        # The acting user's tenant, set by the action.
        has_tenant = any(f.name == "tenant" for f in self.model._meta.concrete_fields)
        if has_tenant and not self.installation_writes and "tenant" not in exclude:
            exclude.append("tenant")
        return exclude

    # -- saving
    def save_model(self, request, obj, form, change):
        if change:
            # The action gets the stored row (the form has changed the admin's copy
            # already) and the changes, as every other door gives them.
            stored = type(obj)._default_manager.get(pk=obj.pk)
            saved = refusing(self.update, request, stored, form)
        else:
            saved = refusing(self.create, request, obj, form)
        adopt(obj, saved)

    def save_related(self, request, form, formsets, change):
        # Many-to-many fields went to the action with the record (form.members()).
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(self, request, form, formset, change):
        inline = next(
            (
                i
                for i in self.get_inline_instances(request, form.instance)
                if i.model is formset.model
            ),
            None,
        )
        if isinstance(inline, ActionInline):
            refusing(inline.save_rows, request, form.instance, formset)
            return
        # Plain rows of the record (see the module): they take its tenant.
        for row in formset.save(commit=False):
            if any(f.name == "tenant" for f in row._meta.concrete_fields):
                row.tenant_id = form.instance.tenant_id
            row.save()
        for row in formset.deleted_objects:
            row.delete()
        formset.save_m2m()

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except _Refused as refused:
            # Everything the first pass wrote is rolled back; the second validates the
            # same input once more, with the refusal as the form's error, and shows it.
            request._geflecht_refusal = refused.error
            return super().changeform_view(request, object_id, form_url, extra_context)

    # -- deleting
    def delete_model(self, request, obj):
        refusing(self.delete, request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except _Refused as refused:
            self.message_user(request, message_of(refused.error), messages.ERROR)
            opts = self.model._meta
            if self.has_view_or_change_permission(request):
                page = f"admin:{opts.app_label}_{opts.model_name}_change"
                url = reverse(page, args=[quote(object_id)], current_app=self.admin_site.name)
            else:
                page = f"admin:{opts.app_label}_{opts.model_name}_changelist"
                url = reverse(page, current_app=self.admin_site.name)
            return HttpResponseRedirect(url)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if "delete_selected" in actions:
            _func, name, description = actions["delete_selected"]  # type: ignore[misc]
            actions[name] = (_delete_selected_through_actions, name, description)
        return actions


class ActionAdmin(WritesThroughActions, TenantAdmin):
    """A model's admin page, scoped, that writes through the domain actions."""


class ReadOnlyAdmin(TenantAdmin):
    """A model's admin page, scoped, that only shows: the domain changes these rows
    through its own steps (named on each page), never as a form."""

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ActionInline(TenantInline):
    """Rows inside another record's page, written through the domain actions: one call
    of :meth:`create`, :meth:`update` or :meth:`delete` per row that changed."""

    def create(self, request, parent, form):
        raise NotImplementedError(f"{type(self).__name__} creates nothing")

    def update(self, request, obj, form):
        raise NotImplementedError(f"{type(self).__name__} changes nothing")

    def delete(self, request, obj) -> None:
        raise NotImplementedError(f"{type(self).__name__} deletes nothing")

    def save_rows(self, request, parent, formset) -> None:
        # Without commit the formset writes nothing, but lists its new, changed and
        # deleted rows for the page's history entry.
        formset.save(commit=False)
        model = formset.model._default_manager
        for row in formset.deleted_objects:
            self.delete(request, model.get(pk=row.pk))
        for form in formset.initial_forms:
            if form.instance.pk and form not in formset.deleted_forms and form.has_changed():
                stored = model.get(pk=form.instance.pk)
                adopt(form.instance, self.update(request, stored, form))
        for form in formset.extra_forms:
            if form.has_changed() and form not in formset.deleted_forms:
                adopt(form.instance, self.create(request, parent, form))
