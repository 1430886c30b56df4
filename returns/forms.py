"""Forms for returns: upload, decisions, outcome audit findings."""

from datetime import date
from pathlib import Path

from crispy_forms_gds.layout import Field, Fixed, Fluid, Size
from django import forms
from django.conf import settings
from django.utils.html import escape

from pcc_dashboard.forms import gds_helper
from priorities.models import Area, AreaKind
from priorities.office import focus_force_code
from returns.models import Submitter
from returns.problems import human_size
from returns.selectors import (
    period_kind,
    submitters_for_upload,
    upload_period_choices,
    upload_periods_for,
    working_date,
)

ALLOWED_SUFFIXES = {".csv", ".xlsx"}


def parse_period(value: str) -> tuple[date, date] | None:
    """'2014-04-01:2014-06-30' → dates, when it is a calendar month or financial quarter."""
    start_text, _, end_text = value.partition(":")
    try:
        start, end = date.fromisoformat(start_text), date.fromisoformat(end_text)
    except ValueError:
        return None
    return (start, end) if period_kind(start, end) else None


class SubmitterChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Submitter) -> str:
        return obj.name


class UploadForm(forms.Form):
    submitter = SubmitterChoiceField(
        queryset=Submitter.objects.none(),
        to_field_name="code",
        empty_label=None,
        label="Who is the return from?",
        error_messages={
            "required": "Select who the return is from",
            "invalid_choice": "You can only upload returns for your own organisation",
        },
    )
    period = forms.ChoiceField(
        label="Return period",
        help_text="Months for monthly crime figures, financial quarters for quarterly returns.",
        error_messages={
            "required": "Select the return period",
            "invalid_choice": "Select a return period from the list",
        },
    )
    file = forms.FileField(
        label="Upload the completed return",
        help_text="A CSV or .xlsx file made from the return template.",
        widget=forms.ClearableFileInput(
            attrs={"accept": ".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
        ),
        error_messages={"required": "Select the completed return file", "empty": "The selected file is empty"},
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        submitters = submitters_for_upload(user)
        self.fields["submitter"].queryset = submitters
        self._first_submitters = list(submitters[:2])  # one query tells "only one" and gives the first
        self.fixed_submitter = self._first_submitters[0] if len(self._first_submitters) == 1 else None
        choices = upload_period_choices()
        if self.fixed_submitter:
            # A data lead sees the periods their agreed data set asks for, and starts on the oldest
            # one still owed (missing or rejected), else the newest that has ended and has nothing
            # sent yet, else the newest that has ended: never one still running.
            owed = upload_periods_for(user)
            kinds = {cell.kind for cell in owed}
            choices = [(key, label) for key, label in choices if period_kind(*parse_period(key)) in kinds]
            if not self.initial.get("period"):
                start = self._first_period(owed)
                if start is not None:
                    self.initial["period"] = f"{start.start.isoformat()}:{start.end.isoformat()}"
        self.fields["period"].choices = choices
        if self.fixed_submitter:
            # The hint is rendered unescaped by crispy-forms-gds; the name comes from the database.
            self.fields["submitter"].help_text = f"You upload returns for {escape(self.fixed_submitter.name)} only."
        self.helper = gds_helper(
            self,
            Field("submitter", context={"label_size": Size.for_label(Size.SMALL)}),
            Field("period", context={"label_size": Size.for_label(Size.SMALL)}),
            Field("file", context={"label_size": Size.for_label(Size.SMALL)}),
        )

    @staticmethod
    def _first_period(cells):
        """The tracker cell the form opens on, or None when no period offered has ended."""
        due = [c for c in cells if c.state in ("missing", "rejected")]
        if due:
            return min(due, key=lambda c: c.end)
        ended = [c for c in cells if c.end < working_date()]
        unsent = [c for c in ended if c.state == "not_due"]
        return max(unsent or ended, key=lambda c: c.end, default=None)

    def template_choice(self) -> tuple[Submitter, date, date] | None:
        """(submitter, start, end) whose template the upload page offers: those chosen in the form
        (sent, or preselected), else the first of each list, as a browser shows them; a query only
        for a submitter other than the first. None when the user may upload for no one or the
        chosen submitter is not theirs."""
        data = self.data if self.is_bound else {}
        code = data.get("submitter") or self.initial.get("submitter")
        period = data.get("period") or self.initial.get("period")
        submitters = self.fields["submitter"].queryset
        first = self._first_submitters[0] if self._first_submitters else None
        submitter = first if not code or (first and first.code == code) else submitters.filter(code=code).first()
        choices = [key for key, _ in self.fields["period"].choices]
        dates = parse_period(period if period in choices else (choices[0] if choices else ""))
        return (submitter, *dates) if submitter is not None and dates is not None else None

    def clean_file(self):
        upload = self.cleaned_data["file"]
        # Size before reading a byte of it (ASVS 5.2.1); the parser checks again.
        if upload.size > settings.RETURN_MAX_BYTES:
            raise forms.ValidationError(
                f"The selected file must be smaller than {human_size(settings.RETURN_MAX_BYTES)}"
            )
        if Path(upload.name).suffix.lower() not in ALLOWED_SUFFIXES:
            raise forms.ValidationError("The selected file must be a CSV or .xlsx file")
        return upload

    def clean_period(self):
        period = parse_period(self.cleaned_data["period"])
        if period is None:
            raise forms.ValidationError("Select a return period from the list")
        return period


class RejectForm(forms.Form):
    reason = forms.CharField(
        label="Why is this return rejected?",
        help_text="The submitter sees this reason.",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Enter the reason for rejecting the return"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = gds_helper(self, Field.textarea("reason", label_size=Size.SMALL, rows=3))


def crime_count_field(label: str, *, min_value: int, minimum_words: str) -> forms.IntegerField:
    """A whole number of crimes from `min_value` to a million, its errors in GOV.UK words.

    The messages name the field by its `label` ("Crimes sampled must be a whole number");
    `minimum_words` says the lower bound in them ("at least 1"). The million cap only keeps a
    typing slip out of the table.
    """
    return forms.IntegerField(
        label=label,
        min_value=min_value,
        max_value=1_000_000,
        error_messages={
            "required": f"Enter the number of {label.lower()}",
            "invalid": f"{label} must be a whole number",
            "min_value": f"{label} must be {minimum_words}",
        },
    )


class OutcomeAuditForm(forms.Form):
    area = forms.ModelChoiceField(
        queryset=Area.objects.none(), empty_label=None, label="Area", error_messages={"required": "Select the area"}
    )
    month = forms.DateField(
        label="Month audited",
        help_text="The first day of the month, for example 2014-05-01.",
        input_formats=["%Y-%m-%d", "%Y-%m"],
        error_messages={"required": "Enter the month audited", "invalid": "Enter the month as YYYY-MM-DD"},
    )
    crime_group = forms.CharField(
        label="Crime group", max_length=120, error_messages={"required": "Enter the crime group"}
    )
    sampled = crime_count_field("Crimes sampled", min_value=1, minimum_words="at least 1")
    correct = crime_count_field("Crimes with the right outcome", min_value=0, minimum_words="0 or more")
    note = forms.CharField(
        label="Note (optional)", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        focus = focus_force_code() or ""
        force = Area.objects.filter(code=focus)
        csps = Area.objects.filter(kind=AreaKind.CSP, parent__code=focus)
        self.fields["area"].queryset = (force | csps).order_by("kind", "name")
        self.helper = gds_helper(
            self,
            Field.select("area"),
            Field.text("month", field_width=Fixed.TEN),
            Field.text("crime_group", field_width=Fluid.TWO_THIRDS),
            Field.text("sampled", field_width=Fixed.FIVE),
            Field.text("correct", field_width=Fixed.FIVE),
            Field.textarea("note", rows=3),
        )

    def clean(self):
        data = super().clean()
        sampled, correct = data.get("sampled"), data.get("correct")
        if sampled is not None and correct is not None and correct > sampled:
            self.add_error("correct", "Crimes with the right outcome cannot be more than the crimes sampled")
        return data
