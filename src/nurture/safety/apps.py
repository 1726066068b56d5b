from django.apps import AppConfig


class SafetyConfig(AppConfig):
    name = "nurture.safety"
    label = "safety"
    verbose_name = "Safety alerts"
