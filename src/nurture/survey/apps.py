from django.apps import AppConfig


class SurveyConfig(AppConfig):
    name = "nurture.survey"
    label = "survey"
    verbose_name = "Participant survey"
