from django.contrib import admin

from .models import CodingSettings


@admin.register(CodingSettings)
class CodingSettingsAdmin(admin.ModelAdmin):
    list_display = ("study", "double_share", "observation_scheme", "feedback_codebook")
