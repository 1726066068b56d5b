"""Safety settings are edited on the site's own admin page (see ``program.admin``):
the on-call list, escalation times, clinical responders and crisis resources."""

from django import forms
from django.contrib import admin

from nurture.accounts.enums import Role

from .models import CrisisResource, SiteSafety, default_resources


class SiteSafetyForm(forms.ModelForm):
    clinical_responder_roles = forms.MultipleChoiceField(
        # Only roles that handle alerts at all: researchers and coders never see them.
        choices=[(r.value, r.label) for r in (Role.ADMINISTRATOR, Role.COORDINATOR, Role.FACILITATOR)],
        widget=forms.CheckboxSelectMultiple, required=False,
        help_text="Roles that may close an urgent alert. Everyone responsible for the dyad may acknowledge it.")

    class Meta:
        model = SiteSafety
        fields = ["on_call_emails", "on_call_phones", "escalation_minutes", "repeat_minutes",
                  "clinical_responder_roles"]


class SiteSafetyInline(admin.StackedInline):
    model = SiteSafety
    form = SiteSafetyForm
    can_delete = False
    max_num = 1
    verbose_name_plural = "Safety: who is told, escalation and who may close urgent alerts"


class CrisisResourceInline(admin.TabularInline):
    model = CrisisResource
    extra = 0
    fields = ["language", "order", "group", "name", "phone", "sms", "sms_body", "note"]
    verbose_name_plural = ("Crisis resources shown to mothers (per language; with none for a language, "
                           "Nurture shows its defaults — use the action “Copy the default crisis resources”)")


def copy_default_resources(site) -> int:
    """Give a site its own editable copy of the default resources (languages it has none for)."""
    from nurture.safety.models import DEFAULT_CRISIS_RESOURCES

    created = 0
    for language in DEFAULT_CRISIS_RESOURCES:
        if CrisisResource.objects.filter(site=site, language=language).exists():
            continue
        for order, row in enumerate(default_resources(language)):
            CrisisResource.objects.create(site=site, language=language, order=order, **row)
            created += 1
    return created
