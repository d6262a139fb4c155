"""Django admin pages whose every write goes through the app's services.

The admin is a write path like any page: a ModelAdmin either refuses to write
(`ReadOnlyAdmin`) or hands every add, change and delete to a service that validates it
and writes its audit event in the same transaction (`ServiceAdmin`). Nothing the admin
offers saves a model on its own: not the form, not its many-to-many fields, not an
inline, not the changelist's editable columns, not the bulk delete.
"""

from django.contrib import admin
from django.core.exceptions import ImproperlyConfigured
from django.db.models import ProtectedError, RestrictedError

from crocevia.core.forms import GuardedModelForm

from .rows import row_dependants


def form_values(form) -> dict:
    """What the operator may have changed in `form`: its enabled fields that are model
    fields, the primary key excepted (an inline's link to its parent included), as
    cleaned."""
    opts = form._meta.model._meta
    names = {f.name for f in opts.get_fields() if not f.auto_created or f.concrete}
    values = {}
    for name, field in form.fields.items():
        if field.disabled or name not in form.cleaned_data or name not in names:
            continue
        if opts.get_field(name).primary_key:
            continue
        values[name] = form.cleaned_data[name]
    return values


def adopt(obj, created) -> None:
    """Make the admin's unsaved `obj` stand for the row a service `created`: the admin
    goes on with its own object (inlines, log entry, redirect)."""
    obj.pk = created.pk
    obj._state.adding = False
    obj._state.db = created._state.db


class ReadOnlyAdmin(admin.ModelAdmin):
    """Administrators may look; every write goes through the app's own pages."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ServiceAdmin(admin.ModelAdmin):
    """Writes through services. Subclasses give `create(request, values)` returning the
    new object, `update(request, obj, values)`, and, if deleting is allowed,
    `delete(request, obj)`; without `delete` the admin refuses deletion. Inlines write
    through `save_formset`, which a subclass with writable inlines overrides."""

    # The input rules of every form (core.forms.InputRulesMixin) hold in the admin too.
    form = GuardedModelForm

    def create(self, request, values: dict):
        raise NotImplementedError

    def update(self, request, obj, values: dict) -> None:
        raise NotImplementedError

    delete = None
    # The links a delete takes along and records (as the service's row_delete `m2m`).
    delete_links: tuple = ()

    def has_delete_permission(self, request, obj=None):
        return self.delete is not None and super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        values = form_values(form)
        if change:
            self.update(request, obj, values)
            return
        adopt(obj, self.create(request, values))

    def save_related(self, request, form, formsets, change):
        # Many-to-many fields went to the service with the others (form_values); only the
        # inlines are left, each through save_formset. The admin's change message reads
        # what each formset saved (filled by changed_inline_forms).
        for formset in formsets:
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
            self.save_formset(request, form, formset, change=change)

    def save_formset(self, request, form, formset, change):
        if any(f.has_changed() for f in formset.forms) or formset.deleted_forms:
            raise ImproperlyConfigured(
                f"{type(self).__name__} must save the {formset.model.__name__} inline "
                "through a service (override save_formset)."
            )

    def get_deleted_objects(self, objs, request):
        # The service refuses to delete a row others depend on; the confirmation page says
        # so, as it does for the rows the database protects.
        to_delete, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        for obj in objs:
            try:
                used = row_dependants(obj, self.delete_links)
            except (ProtectedError, RestrictedError):
                continue  # already listed by the admin as protected
            protected += [f"{obj}: {what}" for what in used]
        return to_delete, model_count, perms_needed, protected

    def delete_model(self, request, obj):
        self.delete(request, obj)

    def delete_queryset(self, request, queryset):
        # The bulk delete too: one service call, so one event, per object.
        for obj in queryset:
            self.delete(request, obj)


def changed_inline_forms(formset):
    """The inline forms to save: (form, values, is_new), with the deleted left out (the
    inlines that use this refuse deletion)."""
    deleted = set(formset.deleted_forms)
    for form in formset.forms:
        if form in deleted or not form.has_changed():
            continue
        is_new = form.instance._state.adding
        yield form, form_values(form), is_new
        if is_new:
            formset.new_objects.append(form.instance)
        else:
            formset.changed_objects.append((form.instance, form.changed_data))
