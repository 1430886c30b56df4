"""Forms for snapshots, commentary and annotations (validation only; services do the writing)."""

from datetime import date

from crispy_forms_gds.layout import Field, Fixed, Size
from django import forms

from pcc_dashboard.forms import gds_helper
from priorities.models import Area
from priorities.office import office_areas


class FreezeForm(forms.Form):
    as_of = forms.ChoiceField(label="Month to freeze", help_text="The data as at the last day of this month")

    def __init__(self, *args, months: list[date] | None = None, first_frozen: date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if months is None:
            # On POST any date is offered to the service, which explains what is wrong with it.
            self.fields["as_of"] = forms.CharField(label="Month to freeze", max_length=10)
        else:
            self.fields["as_of"].choices = _month_choices(months, first_frozen=first_frozen)
            due = next((d for d in months if not _back_dated(d, first_frozen)), None)
            if due is not None:
                self.fields["as_of"].initial = due.isoformat()
        self.helper = gds_helper(self, Field("as_of", context={"label_size": Size.for_label(Size.MEDIUM)}))

    def clean_as_of(self) -> date:
        try:
            return date.fromisoformat(self.cleaned_data["as_of"])
        except ValueError:
            raise forms.ValidationError("Enter a month end as YYYY-MM-DD") from None


def _back_dated(day: date, first_frozen: date | None) -> bool:
    return first_frozen is not None and day < first_frozen


def _month_choices(months: list[date], *, first_frozen: date | None) -> list[tuple[str, str]]:
    """The freeze form's choices, newest first: [(ISO date, "31 May 2014")].

    A month before the first snapshot says so: freezing it would be a back-dated snapshot. The
    list selects the month end due (the newest not frozen since the first snapshot); when only
    back-dated months are left, it starts with an empty choice, so a back-dated month is frozen
    only when someone picks it.
    """
    choices = [
        (
            d.isoformat(),
            f"{d:%-d %B %Y}" + (" (back-dated: before the first snapshot)" if _back_dated(d, first_frozen) else ""),
        )
        for d in months
    ]
    if months and all(_back_dated(d, first_frozen) for d in months):
        choices.insert(0, ("", "Choose a month: every month end since the first snapshot is frozen"))
    return choices


class CommentaryForm(forms.Form):
    text = forms.CharField(
        label="Context",
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=10000,
        help_text="Carried into reports and meeting packs for this snapshot",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = gds_helper(self, Field.textarea("text", label_size=Size.MEDIUM, rows=8))


class AnnotationForm(forms.Form):
    date = forms.DateField(label="Date", help_text="For example, 2014-04-01", input_formats=["%Y-%m-%d", "%d/%m/%Y"])
    label = forms.CharField(label="Label", max_length=120, help_text="Short text shown on the chart")
    text = forms.CharField(
        label="More detail",
        required=False,
        help_text="Optional, except when new control limits start here: then say what changed",
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    area = forms.ModelChoiceField(
        label="Area (optional)",
        queryset=Area.objects.all(),
        required=False,
        empty_label="Every area",
        to_field_name="code",
    )
    recalculate_limits = forms.BooleanField(
        label="Start new control limits from this date", required=False,
        help_text="For a change such as new recording practice: later snapshots recalculate SPC limits from here",
    )  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = office_areas()
        self.helper = gds_helper(
            self,
            Field.text("date", field_width=Fixed.TEN),
            Field.text("label"),
            Field.textarea("text", rows=4),
            Field.select("area"),
            Field.checkbox("recalculate_limits", small=True),
        )

    def clean(self):
        data = super().clean()
        if data.get("recalculate_limits") and not (data.get("text") or "").strip():
            # Limits are recalculated only at a dated, explained change.
            self.add_error("text", "Say what changed on this date, so the chart can explain its new limits")
        return data
