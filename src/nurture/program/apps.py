from django.apps import AppConfig


class ProgramConfig(AppConfig):
    name = "nurture.program"
    label = "program"
    verbose_name = "Program delivery"
