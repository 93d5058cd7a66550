"""The forms of reports: a resident's report (at an address, or of a missing one) and a provider's answer."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from residents.forms import HoneypotForm
from residents.models import Report
from residents.reports.services import TEXT_MAX
from rollout.models import Provider

CITY = ""


class ReportForm(HoneypotForm):
    """``providers``: those the resident can choose (availability at the address or on the street)."""

    category = forms.ChoiceField(
        label=_("What is wrong?"),
        choices=[(value, label) for value, label in Report.Category.choices if value != "address_missing"],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose what is wrong.")},
    )
    provider = forms.ChoiceField(
        label=_("Which provider does it concern?"),
        required=False,
        widget=forms.RadioSelect,
    )
    text = forms.CharField(
        label=_("Describe what you found"),
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"max_length": _("Please write at most %(limit_value)d characters.")},
    )
    email = forms.EmailField(
        label=_("Your e-mail address (optional)"),
        required=False,
        max_length=254,
        error_messages={"invalid": _("Enter an e-mail address such as name@example.de, or leave it empty.")},
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )
    field_order = ["category", "provider", "text", "email", "leer_lassen"]

    def __init__(self, *args, providers: list[Provider], missing: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.providers = {str(p.pk): p for p in providers}
        self.fields["provider"].choices = [(str(p.pk), p.name) for p in providers] + [
            (CITY, _("I don't know – the city will forward it"))
        ]
        self.fields["provider"].initial = CITY
        if missing:
            # A missing address: the category is given, the address is what the resident writes.
            del self.fields["category"]
            self.fields["address_text"] = forms.CharField(
                label=_("The address that is missing"),
                max_length=200,
                help_text=_("Street, house number and postcode, e.g. Schloßstraße 12, 45468."),
                error_messages={"required": _("Enter the address that is missing.")},
            )
            self.order_fields(["address_text", "provider", "text", "email", "leer_lassen"])
        if not providers:
            del self.fields["provider"]

    def clean_provider(self) -> Provider | None:
        value = self.cleaned_data.get("provider") or CITY
        return self.providers.get(value)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("category") == Report.Category.OTHER and not cleaned.get("text", "").strip():
            self.add_error("text", _("Describe what is wrong."))
        return cleaned


class AnswerForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Your answer"),
        choices=[
            (Report.Status.CONCEDED, _("The report is right: we will fix it")),
            (Report.Status.DISPUTED, _("The report is not right")),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose whether the report is right.")},
    )
    answer = forms.CharField(
        label=_("What you will fix, or why the report is not right"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("The resident reads this text."),
        error_messages={
            "required": _("Say what you will fix, or why the report is not right."),
            "max_length": _("Please write at most %(limit_value)d characters."),
        },
    )
