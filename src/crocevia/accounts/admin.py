from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import services
from .models import LoginFailure, LoginLock, Membership, SecuritySettings, User


class MembershipInline(admin.StackedInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["organisation"]
    filter_horizontal = ["desks"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [MembershipInline]
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
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organisation", "profile", "active"]
    list_filter = ["profile", "active", "organisation__zone"]
    search_fields = ["user__username", "user__last_name", "organisation__name"]
    autocomplete_fields = ["user", "organisation"]
    filter_horizontal = ["desks"]


@admin.register(SecuritySettings)
class SecuritySettingsAdmin(admin.ModelAdmin):
    """One row: the list goes straight to it; it is never added twice nor deleted."""

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
class LoginLockAdmin(admin.ModelAdmin):
    list_display = ["key", "scope", "created_at", "until", "failures", "lifted_at", "lifted_by"]
    list_filter = ["scope"]
    search_fields = ["key"]
    actions = ["lift"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

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
class LoginFailureAdmin(admin.ModelAdmin):
    list_display = ["at", "username", "address"]
    search_fields = ["username", "address"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
