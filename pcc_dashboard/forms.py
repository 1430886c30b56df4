"""GOV.UK form rendering with crispy-forms-gds, shared by every app's forms.

Each template keeps its own <form> tag (action, enctype, novalidate, data hooks), CSRF token and
buttons, whose wording depends on the page; the helper renders the fields: label, hint, error
message and aria-describedby for each. The error summary is `{% error_summary form %}`.
"""

from crispy_forms.utils import TEMPLATE_PACK
from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Layout
from django import forms
from django.forms.widgets import Input

# GOV.UK advises against these on inputs: the limits are reported as error messages instead, and
# autofocus moves screen reader users past the page's heading.
STRIPPED_ATTRS = ("maxlength", "minlength", "autofocus")

# Inputs crispy-forms-gds styles itself, base class and error class; it matches the exact class, so
# a DateInput (a TextInput subclass) or NumberInput gets neither.
STYLED_BY_PACK = (forms.TextInput, forms.PasswordInput, forms.EmailInput)


def _plain_input(widget: forms.Widget) -> bool:
    """A text-like <input> crispy-forms-gds leaves unstyled (DateInput, NumberInput)."""
    return (
        isinstance(widget, Input)
        and not isinstance(widget, (forms.FileInput, forms.CheckboxInput, forms.HiddenInput))
        and type(widget) not in STYLED_BY_PACK
    )


def _add_class(layout_field: Field, css_class: str) -> None:
    # A layout Field's attributes replace the widget's when it is rendered, so classes go here.
    classes = layout_field.attrs.get("class", "").split()
    if css_class not in classes:
        layout_field.attrs["class"] = " ".join([*classes, css_class])


def _extra_classes(form, name: str) -> list[str]:
    """The GOV.UK classes crispy-forms-gds leaves out for this field: `govuk-input` on date and
    number inputs, and the error class that matches the widget (it gives selects and textareas
    `govuk-input--error`, and plain inputs none)."""
    widget = form.fields[name].widget
    classes = ["govuk-input"] if _plain_input(widget) else []
    if form.is_bound and form.errors.get(name):
        if isinstance(widget, forms.Select):
            classes.append("govuk-select--error")
        elif isinstance(widget, forms.Textarea):
            classes.append("govuk-textarea--error")
        elif _plain_input(widget):
            classes.append("govuk-input--error")
    return classes


class GdsFormHelper(FormHelper):
    def render_layout(self, form, context, template_pack=TEMPLATE_PACK):
        for layout_field in self.layout.fields:
            if isinstance(layout_field, Field):
                for name in layout_field.fields:
                    for css_class in _extra_classes(form, name):
                        _add_class(layout_field, css_class)
        return super().render_layout(form, context, template_pack=template_pack)


def gds_helper(form, *layout: Field) -> FormHelper:
    """A helper that renders only `layout`'s fields, inside a form the template writes."""
    helper = GdsFormHelper(form)
    helper.form_tag = False
    helper.disable_csrf = True  # the template's form has {% csrf_token %}
    helper.layout = Layout(*layout)
    for field in form.fields.values():
        for name in STRIPPED_ATTRS:
            field.widget.attrs.pop(name, None)
    return helper
