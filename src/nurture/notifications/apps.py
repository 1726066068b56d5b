from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "nurture.notifications"
    label = "notifications"
    verbose_name = "Notifications"
