from django.apps import AppConfig


class CodingConfig(AppConfig):
    name = "nurture.coding"
    label = "coding"
    verbose_name = "Coded data"
