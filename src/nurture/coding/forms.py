"""Forms of the coding pages. The rating and code forms are built from the scheme."""

from __future__ import annotations

from django import forms

from .enums import ObservationTask, ObservedTimepoint
from .schemes import Codebook, RatingScheme


class RatingForm(forms.Form):
    """One radio group per item of the rating scale, plus a note."""

    note = forms.CharField(required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2}),
                           label="Note (optional)", help_text="Anything that made this recording hard to rate.")

    def __init__(self, *args, scheme: RatingScheme, initial_values: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.scheme = scheme
        for item in scheme.items:
            anchors = {a.value: a.label for a in item.anchors}
            choices = [(str(v), f"{v} · {anchors[v]}" if v in anchors else str(v)) for v in scheme.values]
            start = (initial_values or {}).get(item.id)
            self.fields[f"item_{item.id}"] = forms.ChoiceField(
                label=item.label, help_text=item.definition, choices=choices, widget=forms.RadioSelect,
                required=False, initial=str(int(start)) if start is not None and float(start).is_integer() else None)

    @property
    def item_fields(self):
        return [self[f"item_{item.id}"] for item in self.scheme.items]

    def values(self) -> dict:
        return {item.id: self.cleaned_data.get(f"item_{item.id}") for item in self.scheme.items}


class CodesForm(forms.Form):
    """Checkboxes for the codes of a codebook, grouped by theme in the template."""

    codes = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)
    note = forms.CharField(required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2}),
                           label="Note (optional)")

    def __init__(self, *args, codebook: Codebook, **kwargs):
        super().__init__(*args, **kwargs)
        self.codebook = codebook
        self.fields["codes"].choices = [(c.id, c.label) for c in codebook.leaves]

    def chosen(self) -> set[str]:
        if self.is_bound:
            return set(self.data.getlist("codes")) if hasattr(self.data, "getlist") else set(self.data.get("codes", []))
        return set(self.initial.get("codes", []))


class RecordingForm(forms.Form):
    dyad = forms.ModelChoiceField(queryset=None, label="Dyad (study id)")
    timepoint = forms.ChoiceField(choices=ObservedTimepoint.choices)
    recorded_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="Recorded on")
    task = forms.ChoiceField(choices=ObservationTask.choices)
    minutes = forms.IntegerField(min_value=0, max_value=180, label="Length: minutes")
    seconds = forms.IntegerField(min_value=0, max_value=59, initial=0, label="and seconds")
    location = forms.CharField(max_length=300, label="Where the recording is kept",
                               help_text="Staff only: the file or folder on the site's storage. Never shown to coders.")
    coder_location = forms.CharField(
        max_length=300, required=False, label="Where coders find the blinded copy (optional)",
        help_text="Name the copy by the blind code shown after saving; no study id, timepoint, date or name.")

    def __init__(self, *args, dyads, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dyad"].queryset = dyads

    def clean(self):
        data = super().clean()
        total = (data.get("minutes") or 0) * 60 + (data.get("seconds") or 0)
        if "minutes" in data and total <= 0:
            self.add_error("minutes", "Give the recording's length.")
        data["duration_seconds"] = total
        return data


class TranscriptForm(forms.Form):
    title = forms.CharField(max_length=200, help_text="For staff; coders see only the segments.")
    held_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="Held on")
    cohort = forms.ModelChoiceField(queryset=None, required=False)
    upload = forms.FileField(required=False, label="Plain-text file (.txt, UTF-8)")
    body = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 10}), label="…or paste the text",
                           help_text="Leave a blank line between speaker turns: each paragraph becomes one segment.")

    def __init__(self, *args, cohorts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cohort"].queryset = cohorts

    def clean(self):
        data = super().clean()
        upload = data.get("upload")
        text = data.get("body") or ""
        if upload is not None:
            if upload.size > 2_000_000:
                self.add_error("upload", "The file is larger than 2 MB; split it into parts.")
                return data
            try:
                text = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                self.add_error("upload", "The file is not UTF-8 plain text; save it as .txt (UTF-8) and try again.")
                return data
        if not text.strip():
            self.add_error("body", "Upload a file or paste the transcript.")
        data["text"] = text
        return data


class AssignForm(forms.Form):
    coders = forms.ModelMultipleChoiceField(queryset=None, widget=forms.CheckboxSelectMultiple)
    share = forms.IntegerField(min_value=0, max_value=100, label="Double-coded share (%)")

    def __init__(self, *args, coders, share: float, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["coders"].queryset = coders
        self.fields["coders"].label_from_instance = lambda u: u.get_full_name() or u.get_username()
        self.fields["share"].initial = round(share * 100)

