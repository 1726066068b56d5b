from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User

from .models import AuditEvent, StaffProfile


class StaffProfileInline(admin.StackedInline):
    model = StaffProfile
    can_delete = False


admin.site.unregister(User)


@admin.register(User)
class StaffUserAdmin(UserAdmin):
    inlines = [StaffProfileInline]
    list_display = ["username", "email", "is_active", "is_staff"]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The audit log can be read and searched, never changed."""

    list_display = ["at", "username", "action", "object_type", "object_id", "summary", "channel", "ip_address",
                    "os_user"]
    list_filter = ["action", "channel", "object_type", ("at", admin.DateFieldListFilter)]
    date_hierarchy = "at"
    search_fields = ["username", "object_id", "summary", "ip_address", "user_agent", "os_user", "command"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
