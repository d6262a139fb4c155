from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import Membership, User


class MembershipInline(admin.StackedInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["organisation"]
    filter_horizontal = ["desks"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [MembershipInline]
    list_display = ["username", "first_name", "last_name", "email", "is_active", "is_staff"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organisation", "profile", "active"]
    list_filter = ["profile", "active", "organisation__zone"]
    search_fields = ["user__username", "user__last_name", "organisation__name"]
    autocomplete_fields = ["user", "organisation"]
    filter_horizontal = ["desks"]
