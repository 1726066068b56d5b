from django.contrib import admin

from .models import StudySettings


@admin.register(StudySettings)
class StudySettingsAdmin(admin.ModelAdmin):
    """The battery per timepoint, the post window and how long survey links last."""

    list_display = ["study", "post_opens_weeks", "post_closes_weeks", "link_valid_days"]
