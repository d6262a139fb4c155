import copy

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm, UserChangeForm
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from crocevia.audit.admin_writes import (
    ReadOnlyAdmin,
    ServiceAdmin,
    adopt,
    changed_inline_forms,
    form_values,
)
from crocevia.core.forms import GuardedModelForm, InputRulesMixin

from . import services
from .models import LoginFailure, LoginLock, Membership, SecuritySettings, User


class MembershipForm(InputRulesMixin, forms.ModelForm):
    """Refuses desks of another organisation before anything is saved (the service's
    rule, shown beside the field)."""

    def clean(self):
        cleaned = super().clean()
        organisation, desks = cleaned.get("organisation"), cleaned.get("desks")
        if organisation is not None and desks is not None:
            try:
                services.membership_check(organisation=organisation, desks=desks)
            except ValidationError as error:
                self.add_error(None, error)
        return cleaned


class MembershipInline(admin.StackedInline):
    model = Membership
    form = MembershipForm
    extra = 0
    autocomplete_fields = ["organisation"]
    filter_horizontal = ["desks"]
    # A membership is ended (active off), never deleted: the trail names it.
    can_delete = False


class AuditedPasswordChangeForm(AdminPasswordChangeForm):
    """The admin's password form, saving through accounts.services (audited, the
    password never recorded). `actor` is set on a per-request subclass."""

    actor = None

    def save(self, commit=True):
        password = (
            self.cleaned_data["password1"] if self.cleaned_data["set_usable_password"] else None
        )
        services.user_password_set(actor=self.actor, user=self.user, password=password)
        return self.user


class OperatorChangeForm(InputRulesMixin, UserChangeForm):
    def clean_date_joined(self):
        # The widget shows whole seconds: the same second typed back is no change.
        value, saved = self.cleaned_data.get("date_joined"), self.instance.date_joined
        if value and saved and value == saved.replace(microsecond=0):
            return saved
        return value

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("username"):
            try:
                services.username_check(username=cleaned["username"], exclude_pk=self.instance.pk)
            except ValidationError as error:
                self.add_error(None, error)
        return cleaned


@admin.register(User)
class UserAdmin(ServiceAdmin, BaseUserAdmin):
    """Operators: created, changed and given a password through accounts.services.
    Never deleted (the trail names them): deactivated."""

    form = OperatorChangeForm
    inlines = [MembershipInline]
    # Set by signing in, never by hand.
    readonly_fields = ["last_login"]
    list_display = [
        "username",
        "first_name",
        "last_name",
        "email",
        "is_active",
        "is_staff",
        "two_factor_active",
    ]
    actions = ["reset_two_factor", "unlock_sign_in", "end_sessions"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("two_factor_device")

    def has_change_permission(self, request, obj=None):
        # A superuser's account (password included) is a superuser's to change.
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and not request.user.is_superuser:
            # Superuser status, groups and permissions: a superuser's to give (the
            # service refuses them too).
            fields += services.SUPERUSER_ONLY
        return fields

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        # The creation form's password fields are not model fields: given apart.
        cleaned = form.cleaned_data
        password = cleaned.get("password1") if cleaned.get("set_usable_password") else None
        created = services.user_create(actor=request.user, password=password, **form_values(form))
        adopt(obj, created)

    def update(self, request, obj, values):
        services.user_update(actor=request.user, user=obj, **values)

    def save_formset(self, request, form, formset, change):
        for inline_form, values, is_new in changed_inline_forms(formset):
            values.pop("user", None)
            if is_new:
                services.membership_create(actor=request.user, user=formset.instance, **values)
            else:
                services.membership_update(
                    actor=request.user, membership=inline_form.instance, **values
                )

    def user_change_password(self, request, id, form_url=""):
        # The password form is built by the view from self.change_password_form; a copy of
        # this admin (one per request) carries a form class that knows who acts.
        bound = copy.copy(self)
        bound.change_password_form = type(
            "AuditedPasswordChangeForm", (AuditedPasswordChangeForm,), {"actor": request.user}
        )
        with transaction.atomic():
            return BaseUserAdmin.user_change_password(bound, request, id, form_url)

    @admin.display(boolean=True, description=_("two-step verification"))
    def two_factor_active(self, obj):
        return obj.has_two_factor()

    @admin.action(description=_("Reset two-step verification (lost phone)"), permissions=["change"])
    def reset_two_factor(self, request, queryset):
        done = sum(services.two_factor_reset(user=u, actor=request.user) for u in queryset)
        self.message_user(
            request,
            ngettext(
                "Two-step verification reset for %(n)d operator.",
                "Two-step verification reset for %(n)d operators.",
                done,
            )
            % {"n": done},
            messages.SUCCESS,
        )

    @admin.action(description=_("Unlock sign-in"), permissions=["change"])
    def unlock_sign_in(self, request, queryset):
        lifted = sum(
            services.login_unlock(actor=request.user, username=u.get_username()) for u in queryset
        )
        self.message_user(
            request,
            ngettext("%(n)d lock lifted.", "%(n)d locks lifted.", lifted) % {"n": lifted},
            messages.SUCCESS,
        )

    @admin.action(description=_("Log out on every device"), permissions=["change"])
    def end_sessions(self, request, queryset):
        users = list(queryset)
        for user in users:
            services.sessions_revoke(user=user, actor=request.user)
        self.message_user(
            request,
            ngettext(
                "Sessions ended for %(n)d operator.",
                "Sessions ended for %(n)d operators.",
                len(users),
            )
            % {"n": len(users)},
            messages.SUCCESS,
        )


@admin.register(Membership)
class MembershipAdmin(ServiceAdmin):
    """Memberships decide what an operator sees: written through accounts.services,
    ended (never deleted) so the trail keeps naming them."""

    form = MembershipForm
    list_display = ["user", "organisation", "profile", "active"]
    list_filter = ["profile", "active", "organisation__zone"]
    search_fields = ["user__username", "user__last_name", "organisation__name"]
    autocomplete_fields = ["user", "organisation"]
    filter_horizontal = ["desks"]
    actions = ["end_memberships"]

    def get_readonly_fields(self, request, obj=None):
        # A membership belongs to one operator for good; another one gets a new membership.
        return ["user"] if obj is not None else []

    def create(self, request, values):
        return services.membership_create(actor=request.user, **values)

    def update(self, request, obj, values):
        services.membership_update(actor=request.user, membership=obj, **values)

    @admin.action(description=_("End the selected memberships"), permissions=["change"])
    def end_memberships(self, request, queryset):
        ended = sum(services.membership_end(actor=request.user, membership=m) for m in queryset)
        self.message_user(
            request,
            ngettext("%(n)d membership ended.", "%(n)d memberships ended.", ended) % {"n": ended},
            messages.SUCCESS,
        )


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(ServiceAdmin, BaseGroupAdmin):
    """Groups grant administration permissions: written through accounts.services, by
    superusers only."""

    delete_links = ("permissions", "user_set")

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def create(self, request, values):
        return services.group_create(actor=request.user, **values)

    def update(self, request, obj, values):
        services.group_update(actor=request.user, group=obj, **values)

    def delete(self, request, obj):
        services.group_delete(actor=request.user, group=obj)


@admin.register(SecuritySettings)
class SecuritySettingsAdmin(admin.ModelAdmin):
    """One row: the list goes straight to it; it is never added twice nor deleted."""

    form = GuardedModelForm

    fields = ["require_two_factor"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        row = SecuritySettings.load()
        return redirect(reverse("admin:accounts_securitysettings_change", args=[row.pk]))

    def save_model(self, request, obj, form, change):
        services.security_settings_update(
            actor=request.user, require_two_factor=obj.require_two_factor
        )


@admin.register(LoginLock)
class LoginLockAdmin(ReadOnlyAdmin):
    list_display = ["key", "scope", "created_at", "until", "failures", "lifted_at", "lifted_by"]
    list_filter = ["scope"]
    search_fields = ["key"]
    actions = ["lift"]

    def has_unlock_permission(self, request):
        # Whoever may change operators may unlock them.
        return request.user.has_perm("accounts.change_user")

    @admin.action(description=_("Unlock sign-in"), permissions=["unlock"])
    def lift(self, request, queryset):
        lifted = 0
        for lock in queryset.filter(lifted_at__isnull=True):
            if lock.scope == LoginLock.Scope.USER:
                lifted += services.login_unlock(actor=request.user, username=lock.key)
            else:
                lifted += services.login_unlock(actor=request.user, address=lock.key)
        self.message_user(
            request,
            ngettext("%(n)d lock lifted.", "%(n)d locks lifted.", lifted) % {"n": lifted},
            messages.SUCCESS,
        )


@admin.register(LoginFailure)
class LoginFailureAdmin(ReadOnlyAdmin):
    list_display = ["at", "username", "address"]
    search_fields = ["username", "address"]
    date_hierarchy = "at"
