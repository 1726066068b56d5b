from django.apps import AppConfig


class CaptureConfig(AppConfig):
    name = "nurture.capture"
    label = "capture"
    verbose_name = "Assessments"
