from __future__ import annotations

import datetime as dt
import html

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.forms.utils import flatatt
from django.utils import timezone
from django.utils.safestring import SafeData, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from nurture.participants import eligibility
from nurture.participants.enums import TRANSITIONS, EndReason, EnrollmentStatus, Sex
from nurture.program.enums import WEEKDAYS, DeliveryMode
from nurture.program.models import Cohort, CurriculumVersion


class QuickSelect(forms.Select):
    """A select whose options are written in Python, byte for byte what ``forms.Select``
    writes. Django renders each option through a template, about 0.1 ms apiece: 100 ms
    for the thousand cohorts an administrator of a large study filters the participant
    list by (``bench/staff_pages.py``)."""

    def render(self, name, value, attrs=None, renderer=None):
        # ``ChoiceWidget.optgroups`` without its dict per option: one option is selected
        # (the first whose value matches), groups are (name, [(value, label)...]) pairs.
        chosen = set(self.format_value(value))
        attrs = self.build_attrs(self.attrs, attrs)
        if self.allow_multiple_selected:
            attrs["multiple"] = True
        parts = [f'<select name="{_escape(name)}"{flatatt(attrs)}>']
        has_selected = False
        for group_value, group_label in self.choices:
            grouped = isinstance(group_label, (list, tuple))
            if grouped:
                parts.append(f'\n  <optgroup label="{_escape(group_value)}">')
            for option_value, label in group_label if grouped else [(group_value, group_label)]:
                option_value = "" if option_value is None else option_value
                selected = (not has_selected or self.allow_multiple_selected) and str(option_value) in chosen
                has_selected |= selected
                parts.append(f'\n  <option value="{_escape(option_value)}"{" selected" if selected else ""}>'
                             f'{_escape(label)}</option>\n')
            if grouped:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped


def _escape(value) -> str:
    """What the template's autoescape does: escape unless already safe."""
    return value if isinstance(value, SafeData) else html.escape(str(value))


DATE = forms.DateInput(attrs={"type": "date"})
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
YES_NO_UNKNOWN = [("unknown", gettext_lazy("Not known")), ("true", gettext_lazy("Yes")),
                  ("false", gettext_lazy("No"))]


def parse_closed_dates(text: str) -> list[dt.date]:
    """One ISO date per line or separated by commas; raises ValidationError naming the bad entry."""
    dates = []
    for part in text.replace(",", "\n").split():
        try:
            dates.append(dt.date.fromisoformat(part.strip()))
        except ValueError:
            raise forms.ValidationError(_("%(entry)s is not a date; write dates as YYYY-MM-DD.")
                                        % {"entry": repr(part)}) from None
    return dates


class ScheduleFields(forms.Form):
    """Name, meeting day and time, closed dates and facilitators: shared by creating and editing a cohort."""

    name = forms.CharField(max_length=80, label=gettext_lazy("Name"))
    meeting_weekday = forms.TypedChoiceField(choices=WEEKDAYS, coerce=int, label=gettext_lazy("Meeting day"))
    meeting_time = forms.TimeField(widget=TIME, label=gettext_lazy("Meeting time"))
    closed_dates = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), label=gettext_lazy("Closed dates"),
        help_text=gettext_lazy("Dates the group does not meet (holidays), one per line as YYYY-MM-DD."))
    facilitators = forms.ModelMultipleChoiceField(queryset=get_user_model().objects.none(), required=False,
                                                  widget=forms.CheckboxSelectMultiple,
                                                  label=gettext_lazy("Facilitators"))

    def __init__(self, *args, facilitator_choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        if facilitator_choices is not None:
            self.fields["facilitators"].queryset = facilitator_choices
            self.fields["facilitators"].label_from_instance = lambda u: u.get_full_name() or u.get_username()

    def clean_closed_dates(self):
        return parse_closed_dates(self.cleaned_data["closed_dates"])


class CohortForm(ScheduleFields):
    curriculum = forms.ModelChoiceField(queryset=CurriculumVersion.objects.order_by("-weeks"),
                                        label=gettext_lazy("Curriculum"))
    start_date = forms.DateField(widget=DATE, label=gettext_lazy("Start date"))
    default_mode = forms.ChoiceField(choices=DeliveryMode.choices, initial=DeliveryMode.IN_PERSON,
                                     label=gettext_lazy("Delivery"))

    field_order = ["name", "curriculum", "start_date", "meeting_weekday", "meeting_time", "default_mode",
                   "closed_dates", "facilitators"]


class CohortEditForm(ScheduleFields):
    """Editing a cohort: weeks already held keep their dates; the rest follow the new schedule."""

    def __init__(self, *args, cohort=None, **kwargs):
        if cohort is not None and "initial" not in kwargs:
            kwargs["initial"] = {"name": cohort.name, "meeting_weekday": cohort.meeting_weekday,
                                 "meeting_time": cohort.meeting_time, "closed_dates": "\n".join(cohort.closed_dates),
                                 "facilitators": list(cohort.facilitators.all())}
        super().__init__(*args, **kwargs)


class ReferralForm(forms.Form):
    mother_first_name = forms.CharField(max_length=100, label=gettext_lazy("Mother's first name"))
    mother_last_name = forms.CharField(max_length=100, label=gettext_lazy("Mother's last name"))
    mother_date_of_birth = forms.DateField(required=False, widget=DATE, label=gettext_lazy("Mother's date of birth"))
    phone = forms.CharField(max_length=40, required=False, label=gettext_lazy("Phone"))
    email = forms.EmailField(required=False, label=gettext_lazy("Email"))
    address = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}),
                              label=gettext_lazy("Address"))
    language = forms.ChoiceField(choices=lambda: settings.LANGUAGES, label=gettext_lazy("Language"))
    primiparous = forms.NullBooleanField(label=gettext_lazy("First-time mother"), required=False,
                                         widget=forms.Select(choices=YES_NO_UNKNOWN))
    infant_first_name = forms.CharField(max_length=100, required=False, label=gettext_lazy("Infant's first name"))
    infant_date_of_birth = forms.DateField(required=False, widget=DATE, label=gettext_lazy("Infant's date of birth"))
    infant_sex = forms.ChoiceField(choices=[("", "—")] + Sex.choices, required=False,
                                   label=gettext_lazy("Infant's sex"))
    gestational_age_weeks = forms.IntegerField(required=False, min_value=22, max_value=44,
                                               label=gettext_lazy("Gestational age at birth (weeks)"))
    twins = forms.BooleanField(required=False, label=gettext_lazy("Twins (adds a second infant to this dyad)"))
    referred_on = forms.DateField(widget=DATE, initial=timezone.localdate, label=gettext_lazy("Referred on"))
    referral_source = forms.CharField(max_length=120, required=False, label=gettext_lazy("Referral source"))


class MotherForm(forms.Form):
    """A mother's details, corrected after the referral (identifiers and the rest)."""

    first_name = forms.CharField(max_length=100, label=gettext_lazy("First name"))
    last_name = forms.CharField(max_length=100, label=gettext_lazy("Last name"))
    date_of_birth = forms.DateField(required=False, widget=DATE, label=gettext_lazy("Date of birth"))
    phone = forms.CharField(max_length=40, required=False, label=gettext_lazy("Phone"))
    email = forms.EmailField(required=False, label=gettext_lazy("Email"))
    address = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}),
                              label=gettext_lazy("Address"))
    language = forms.ChoiceField(choices=lambda: settings.LANGUAGES, label=gettext_lazy("Language"))
    primiparous = forms.NullBooleanField(label=gettext_lazy("First-time mother"), required=False,
                                         widget=forms.Select(choices=YES_NO_UNKNOWN))


class InfantForm(forms.Form):
    first_name = forms.CharField(max_length=100, required=False, label=gettext_lazy("First name"))
    date_of_birth = forms.DateField(required=False, widget=DATE, label=gettext_lazy("Date of birth"))
    sex = forms.ChoiceField(choices=[("", "—")] + Sex.choices, required=False, label=gettext_lazy("Sex"))
    gestational_age_weeks = forms.IntegerField(required=False, min_value=22, max_value=44,
                                               label=gettext_lazy("Gestational age at birth (weeks)"))


class ScreeningForm(forms.Form):
    screened_on = forms.DateField(widget=DATE, initial=timezone.localdate, label=gettext_lazy("Screened on"))
    note = forms.CharField(required=False, max_length=200, label=gettext_lazy("Note (added to the reason)"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for key, label in eligibility.CRITERIA.items():
            self.fields[f"criterion_{key}"] = forms.TypedChoiceField(
                label=label, choices=[("yes", gettext_lazy("Met")), ("no", gettext_lazy("Not met"))],
                widget=forms.RadioSelect, coerce=lambda v: v == "yes",
            )

    def criteria(self) -> dict[str, bool]:
        return {key: self.cleaned_data[f"criterion_{key}"] for key in eligibility.CRITERIA}


class ConsentForm(forms.Form):
    consented_on = forms.DateField(widget=DATE, initial=timezone.localdate, label=gettext_lazy("Consented on"))
    form_version = forms.CharField(max_length=40, initial="v1.0", label=gettext_lazy("Consent form version"))
    notes = forms.CharField(max_length=300, required=False, label=gettext_lazy("Notes"))


class EnrollmentForm(forms.Form):
    cohort = forms.ModelChoiceField(queryset=Cohort.objects.none(), label=gettext_lazy("Cohort"))
    enrolled_on = forms.DateField(widget=DATE, initial=timezone.localdate, label=gettext_lazy("Enrolled on"))

    def __init__(self, *args, cohorts=None, **kwargs):
        super().__init__(*args, **kwargs)
        if cohorts is not None:
            self.fields["cohort"].queryset = cohorts


#: The ends a coordinator records by hand, in the order offered (forward steps have their own forms).
ENDINGS = (EnrollmentStatus.COMPLETED, EnrollmentStatus.WITHDRAWN, EnrollmentStatus.LOST)


class StatusChangeForm(forms.Form):
    """Complete, withdraw or mark lost: only the moves the dyad's status allows are offered.

    A withdrawal or a loss needs a reason category (what the evaluation counts); the
    details are free text, needed only when the category is "other".
    """

    status = forms.ChoiceField(choices=[], widget=forms.RadioSelect, label=gettext_lazy("New status"))
    effective_on = forms.DateField(widget=DATE, initial=timezone.localdate, label=gettext_lazy("Effective on"))
    reason_code = forms.ChoiceField(label=gettext_lazy("Reason"), required=False,
                                    choices=[("", gettext_lazy("— choose for a withdrawal or loss —"))]
                                    + EndReason.choices)
    reason = forms.CharField(label=gettext_lazy("Details (optional unless the reason is “other”)"), max_length=300,
                             required=False)

    def __init__(self, *args, current: EnrollmentStatus | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = TRANSITIONS[EnrollmentStatus(current)] if current else frozenset(ENDINGS)
        choices = [(s.value, s.label) for s in ENDINGS if s in allowed]
        self.fields["status"].choices = choices
        if len(choices) == 1:
            self.fields["status"].initial = choices[0][0]

    def clean(self):
        data = super().clean()
        if data.get("status") in (EnrollmentStatus.WITHDRAWN, EnrollmentStatus.LOST) and not data.get("reason_code"):
            self.add_error("reason_code", _("Choose why the family withdrew or was lost."))
        if data.get("reason_code") == EndReason.OTHER and not data.get("reason", "").strip():
            self.add_error("reason", _("Describe the other reason."))
        return data


class ParticipantFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=100, label=gettext_lazy("Search"))
    # Choices are (id, name) pairs, not Cohort objects: an administrator of a large study
    # picks from a thousand (``bench/staff_pages.py``).
    cohort = forms.TypedChoiceField(coerce=int, empty_value=None, required=False, widget=QuickSelect,
                                    label=gettext_lazy("Cohort"))
    status = forms.ChoiceField(choices=[("", gettext_lazy("All statuses"))] + EnrollmentStatus.choices,
                               required=False, label=gettext_lazy("Status"))

    def __init__(self, *args, cohorts=None, names=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cohort"].choices = [("", _("All cohorts"))] + (
            list(cohorts.values_list("pk", "name")) if cohorts is not None else [])
        self.fields["q"].widget.attrs.update({
            "type": "search", "autocomplete": "off",
            "placeholder": _("Study id or name") if names else _("Study id")})
