from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "nurture.staff"
    label = "staff"
    verbose_name = "Staff interface"
