from django.apps import AppConfig


class ParticipantsConfig(AppConfig):
    name = "nurture.participants"
    label = "participants"
    verbose_name = "Participants"
