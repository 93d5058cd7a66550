"""The form to follow an address or a district (the target comes from the page's URL)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from residents.forms import HoneypotForm


class SubscribeForm(HoneypotForm):
    email = forms.EmailField(
        label=_("Your e-mail address"),
        max_length=254,
        error_messages={
            "required": _("Enter your e-mail address."),
            "invalid": _("Enter an e-mail address such as name@example.de."),
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )
    field_order = ["email", "leer_lassen"]
