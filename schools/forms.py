"""Forms of the school pages: the list's filters and sorting (query parameters), the planners' connection form
and the token form. Bad values are form errors (400 pages that say what is wrong), never 500s."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from geoportal.errors import InvalidInputError
from layers.models import District
from rollout.models import Provider
from schools.services import MAX_MBITS, ConnectionState
from schools.vocabulary import BenchmarkClass, ConnectionStatus, ConnectionTechnology, Funding

# ?sortierung= value -> (label, ORM ordering); a leading "-" sorts descending.
SORTS = {
    "name": (_("Name"), ["name"]),
    "schueler": (_("Pupils"), ["pupils", "name"]),
    "status": (_("Connection"), ["status_rank", "name"]),
    "vertrag": (_("Contracted"), ["contracted_down_mbits", "name"]),
    "gemessen": (_("Measured"), ["measured_down_mbits", "name"]),
    "bedarf": (_("Benchmark"), ["required_down_mbits", "name"]),
    "bewertung": (_("Rating"), ["class_rank", "name"]),
}
NOT_RECORDED = "none"


class SchoolFilterForm(forms.Form):
    """``?schulform=&bezirk=&status=&bewertung=&sortierung=`` of the school list (all optional)."""

    schulform = forms.ChoiceField(label=_("Type of school"), required=False)
    bezirk = forms.ChoiceField(label=_("District"), required=False)
    status = forms.ChoiceField(label=_("Connection"), required=False)
    bewertung = forms.ChoiceField(label=_("Rating"), required=False)
    sortierung = forms.ChoiceField(required=False, choices=[])

    def __init__(self, *args, types: list[str], districts: list[District], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        everything = [("", _("all"))]
        self.fields["schulform"].choices = everything + [(t, t) for t in types]
        self.fields["bezirk"].choices = everything + [(str(d.pk), d.name) for d in districts]
        self.fields["status"].choices = (
            everything + list(ConnectionStatus.choices) + [(NOT_RECORDED, _("not recorded yet"))]
        )
        self.fields["bewertung"].choices = everything + list(BenchmarkClass.choices)
        self.fields["sortierung"].choices = [(key, key) for key in SORTS] + [(f"-{key}", key) for key in SORTS]

    def ordering(self) -> tuple[str, list[str]]:
        """The chosen sort key ("name" by default) and its ORM ordering."""
        key = (self.cleaned_data.get("sortierung") if self.is_valid() else "") or "name"
        descending = key.startswith("-")
        fields = SORTS[key.lstrip("-")][1]
        if descending:
            fields = [f"-{fields[0]}", *fields[1:]]
        return key, fields


class ConnectionForm(forms.Form):
    """What a planner enters about a school's connection (schools.services.ConnectionState)."""

    status = forms.ChoiceField(label=_("Status"), choices=ConnectionStatus.choices)
    valid_from = forms.DateField(
        label=_("Valid from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("The day from which this holds; empty: today (a connection: the day it was made)."),
    )
    planned_date = forms.DateField(
        label=_("Expected completion"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Needed when the connection is planned."),
    )  # fmt: skip
    connected_date = forms.DateField(
        label=_("Connected on"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Needed when the school is connected."),
    )  # fmt: skip
    technology = forms.ChoiceField(
        label=_("Technology of the line in use"), required=False, choices=[("", "—"), *ConnectionTechnology.choices]
    )
    contracted_down_mbits = forms.IntegerField(
        label=_("Contracted download (Mbit/s)"), required=False, min_value=0, max_value=MAX_MBITS
    )
    contracted_up_mbits = forms.IntegerField(
        label=_("Contracted upload (Mbit/s)"), required=False, min_value=0, max_value=MAX_MBITS
    )
    provider = forms.ModelChoiceField(label=_("Provider"), required=False, queryset=Provider.objects.all())
    provider_name = forms.CharField(
        label=_("Other provider"), required=False, max_length=200,
        help_text=_("Only for a provider that is not in the list."),
    )  # fmt: skip
    funding = forms.ChoiceField(label=_("Funding"), required=False, choices=[("", "—"), *Funding.choices])
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))

    def state(self) -> ConnectionState:
        data = self.cleaned_data
        return ConnectionState(
            status=data["status"],
            planned_date=data.get("planned_date"),
            connected_date=data.get("connected_date"),
            technology=data.get("technology") or "",
            contracted_down_mbits=data.get("contracted_down_mbits"),
            contracted_up_mbits=data.get("contracted_up_mbits"),
            provider=data.get("provider"),
            provider_name=data.get("provider_name") or "",
            funding=data.get("funding") or "",
            note=data.get("note") or "",
        )

    def add_service_error(self, error: InvalidInputError) -> None:
        """Show the service's refusal at the field it names (or above the form)."""
        field = error.where if error.where in self.fields else None
        # The service's messages are English; the fixed ones have German in django.po.
        self.add_error(field, gettext(error.message))


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("What the token is for"), max_length=100,
        help_text=_("For example: measuring box in the server room."),
    )  # fmt: skip
