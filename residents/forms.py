"""What the residents' forms share: the honeypot field and the rate of the per-client limit.

The honeypot is a text field hidden from people (CSS ``.form-trap``, and its label asks to leave it empty) but not
from programs that fill in every field: a form that comes back with it filled is refused.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

HONEYPOT = "leer_lassen"


def forms_rate(group: str, request: HttpRequest) -> str:
    """The per-client limit of the residents' forms (settings.RATELIMIT_FORMS), read at each request."""
    return settings.RATELIMIT_FORMS


def language_now() -> str:
    """The active language as one of settings.LANGUAGES ("de", "en"): the language of later mails."""
    codes = [code for code, _name in settings.LANGUAGES]
    language = (get_language() or settings.LANGUAGE_CODE).split("-")[0]
    return language if language in codes else settings.LANGUAGE_CODE


class HoneypotForm(forms.Form):
    leer_lassen = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get(HONEYPOT):
            raise forms.ValidationError(
                _("The form could not be sent. Please leave the last field empty."), code="honeypot"
            )
        return cleaned
