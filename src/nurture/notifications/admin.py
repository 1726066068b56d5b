from django.contrib import admin

from .domain import retry_now
from .models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """The outbox, read-only: what was sent, to whom, and what failed."""

    list_display = ["created_at", "kind", "channel", "to", "status", "attempts", "last_error", "sent_at"]
    list_filter = ["status", "channel", "kind"]
    search_fields = ["to", "alert__dyad__code"]
    actions = ["retry"]
    readonly_fields = [f.name for f in Notification._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Retry the selected messages now")
    def retry(self, request, queryset):
        count = retry_now(queryset)
        self.message_user(request, f"{count} message(s) will be sent again within a minute.")
