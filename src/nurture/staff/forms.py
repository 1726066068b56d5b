from __future__ import annotations

import datetime as dt

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from nurture.participants import eligibility
from nurture.participants.enums import EnrollmentStatus, Sex
from nurture.program.enums import WEEKDAYS, DeliveryMode
from nurture.program.models import Cohort, CurriculumVersion

DATE = forms.DateInput(attrs={"type": "date"})
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


def parse_closed_dates(text: str) -> list[dt.date]:
    """One ISO date per line or separated by commas; raises ValidationError naming the bad entry."""
    dates = []
    for part in text.replace(",", "\n").split():
        try:
            dates.append(dt.date.fromisoformat(part.strip()))
        except ValueError:
            raise forms.ValidationError(f"{part!r} is not a date; write dates as YYYY-MM-DD.") from None
    return dates


class CohortForm(forms.Form):
    name = forms.CharField(max_length=80)
    curriculum = forms.ModelChoiceField(queryset=CurriculumVersion.objects.order_by("-weeks"))
    start_date = forms.DateField(widget=DATE)
    meeting_weekday = forms.TypedChoiceField(choices=WEEKDAYS, coerce=int, label="Meeting day")
    meeting_time = forms.TimeField(widget=TIME)
    default_mode = forms.ChoiceField(choices=DeliveryMode.choices, initial=DeliveryMode.IN_PERSON)
    closed_dates = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}),
                                   help_text="Dates the group does not meet (holidays), one per line as YYYY-MM-DD.")
    facilitators = forms.ModelMultipleChoiceField(queryset=get_user_model().objects.none(), required=False,
                                                  widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, facilitator_choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        if facilitator_choices is not None:
            self.fields["facilitators"].queryset = facilitator_choices

    def clean_closed_dates(self):
        return parse_closed_dates(self.cleaned_data["closed_dates"])


class ReferralForm(forms.Form):
    mother_first_name = forms.CharField(max_length=100, label="Mother's first name")
    mother_last_name = forms.CharField(max_length=100, label="Mother's last name")
    mother_date_of_birth = forms.DateField(required=False, widget=DATE, label="Mother's date of birth")
    phone = forms.CharField(max_length=40, required=False)
    email = forms.EmailField(required=False)
    address = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    language = forms.ChoiceField(choices=lambda: settings.LANGUAGES)
    primiparous = forms.NullBooleanField(label="First-time mother", required=False,
                                         widget=forms.Select(choices=[("unknown", "Not known"), ("true", "Yes"),
                                                                      ("false", "No")]))
    infant_first_name = forms.CharField(max_length=100, required=False, label="Infant's first name")
    infant_date_of_birth = forms.DateField(required=False, widget=DATE, label="Infant's date of birth")
    infant_sex = forms.ChoiceField(choices=[("", "—")] + Sex.choices, required=False, label="Infant's sex")
    gestational_age_weeks = forms.IntegerField(required=False, min_value=22, max_value=44,
                                               label="Gestational age at birth (weeks)")
    twins = forms.BooleanField(required=False, label="Twins (adds a second infant to this dyad)")
    referred_on = forms.DateField(widget=DATE, initial=timezone.localdate)
    referral_source = forms.CharField(max_length=120, required=False)


class ScreeningForm(forms.Form):
    screened_on = forms.DateField(widget=DATE, initial=timezone.localdate)
    note = forms.CharField(required=False, max_length=200, label="Note (added to the reason)")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for key, label in eligibility.CRITERIA.items():
            self.fields[f"criterion_{key}"] = forms.TypedChoiceField(
                label=label, choices=[("yes", "Met"), ("no", "Not met")], widget=forms.RadioSelect,
                coerce=lambda v: v == "yes",
            )

    def criteria(self) -> dict[str, bool]:
        return {key: self.cleaned_data[f"criterion_{key}"] for key in eligibility.CRITERIA}


class ConsentForm(forms.Form):
    consented_on = forms.DateField(widget=DATE, initial=timezone.localdate)
    form_version = forms.CharField(max_length=40, initial="v1.0")
    notes = forms.CharField(max_length=300, required=False)


class EnrollmentForm(forms.Form):
    cohort = forms.ModelChoiceField(queryset=Cohort.objects.none())
    enrolled_on = forms.DateField(widget=DATE, initial=timezone.localdate)

    def __init__(self, *args, cohorts=None, **kwargs):
        super().__init__(*args, **kwargs)
        if cohorts is not None:
            self.fields["cohort"].queryset = cohorts


class StatusChangeForm(forms.Form):
    status = forms.ChoiceField(choices=[(s.value, s.label) for s in (EnrollmentStatus.WITHDRAWN,
                                                                       EnrollmentStatus.LOST,
                                                                       EnrollmentStatus.COMPLETED)])
    effective_on = forms.DateField(widget=DATE, initial=timezone.localdate)
    reason = forms.CharField(max_length=300, required=False)


class ParticipantFilterForm(forms.Form):
    cohort = forms.ModelChoiceField(queryset=Cohort.objects.none(), required=False, empty_label="All cohorts")
    status = forms.ChoiceField(choices=[("", "All statuses")] + EnrollmentStatus.choices, required=False)

    def __init__(self, *args, cohorts=None, **kwargs):
        super().__init__(*args, **kwargs)
        if cohorts is not None:
            self.fields["cohort"].queryset = cohorts
