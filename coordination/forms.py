"""Forms of the coordination pages: owners, the file import, one work entered by hand, the match list's
filters and the notification. Every message says what is wrong and where."""

from __future__ import annotations

from pathlib import Path

import shapely
from django import forms
from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry
from django.utils.translation import gettext_lazy as _

from coordination.importers import ROADWORKS_FIELDS, geometry_from_text
from coordination.models import WorksOwner
from coordination.sectors import Sector
from layers.models import SRID
from rollout.forms import ACCEPTED_SUFFIXES, too_large_message
from rollout.presentation import report_text
from rollout.readers import Report

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATE_ERRORS = {"invalid": _("Enter a valid date, e.g. 2027-03-31.")}
# Upper bounds of the match list's settings: beyond them a "chance" is no longer one trench.
MAX_DISTANCE_M, MAX_MONTHS = 1000, 36


class OwnerForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200, error_messages={"required": _("Enter the owner's name.")})
    sector = forms.ChoiceField(label=_("Main sector"), choices=Sector.choices, initial=Sector.ROAD)
    contact_email = forms.EmailField(
        label=_("Contact e-mail"),
        required=False,
        help_text=_("Receives the notifications about matches with planned fibre."),
        error_messages={"invalid": _("Enter an e-mail address such as tiefbau@example.org.")},
    )

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if WorksOwner.objects.filter(name__iexact=name).exists():
            raise forms.ValidationError(_("An owner with this name exists already."), code="exists")
        return name


# Labels of the fields an owner's columns are mapped to (coordination.importers.ROADWORKS_SYNONYMS).
FIELD_LABELS = {
    "reference": _("Owner's reference"),
    "title": _("Title"),
    "description": _("Description"),
    "sector": _("Sector"),
    "start": _("Start"),
    "end": _("End"),
    "dig_ban_until": _("Dig ban until"),
    "wkt": _("Geometry as WKT"),
    "lat": _("Latitude"),
    "lon": _("Longitude"),
    "crs": _("Coordinate reference system"),
}


class ImportForm(forms.Form):
    owner = forms.ModelChoiceField(
        label=_("Owner"),
        queryset=WorksOwner.objects.none(),
        empty_label=_("Choose an owner"),
        error_messages={"required": _("Choose the owner whose works the file holds.")},
    )
    file = forms.FileField(
        label=_("Roadworks file"),
        help_text=_("GeoPackage, zipped Shapefile, GeoJSON, KML, or CSV with WKT or lat/lon columns."),
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(ACCEPTED_SUFFIXES)}),
        error_messages={"required": _("Choose a file to import."), "empty": _("The file is empty.")},
    )

    def __init__(self, *args, owners=None, too_large: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners if owners is not None else WorksOwner.objects.all()
        self.too_large = too_large
        for name in ROADWORKS_FIELDS + ("crs",):
            self.fields[f"map_{name}"] = forms.CharField(
                label=FIELD_LABELS[name],
                required=False,
                max_length=100,
                widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
            )
        self.fields["map_crs"].help_text = _("e.g. EPSG:25832")

    def mapping_fields(self) -> list:
        return [self[f"map_{name}"] for name in (*ROADWORKS_FIELDS, "crs")]

    def clean(self):
        if self.too_large:
            self._errors.pop("file", None)
            raise forms.ValidationError({"file": forms.ValidationError(too_large_message(), code="too_large")})
        return super().clean()

    def clean_file(self):
        upload = self.cleaned_data["file"]
        suffix = Path(upload.name or "").suffix.lower()
        if suffix not in ACCEPTED_SUFFIXES:
            raise forms.ValidationError(
                _("Files of type “%(suffix)s” cannot be read. Accepted are: %(accepted)s."),
                code="unsupported",
                params={"suffix": suffix or _("without extension"), "accepted": ", ".join(ACCEPTED_SUFFIXES)},
            )
        if upload.size > settings.PLAN_UPLOAD_MAX_BYTES:
            raise forms.ValidationError(too_large_message(), code="too_large")
        return upload

    def mapping(self) -> dict[str, str]:
        return {name: self.cleaned_data.get(f"map_{name}", "") for name in (*ROADWORKS_FIELDS, "crs")}


CRS_CHOICES = [
    ("", _("Recognise from the coordinates")),
    ("EPSG:4326", _("EPSG:4326 – longitude and latitude in degrees (WGS 84)")),
    ("EPSG:25832", _("EPSG:25832 – ETRS89 / UTM zone 32N in metres")),
]


class RoadworksForm(forms.Form):
    owner = forms.ModelChoiceField(
        label=_("Owner"),
        queryset=WorksOwner.objects.none(),
        empty_label=_("Choose an owner"),
        error_messages={"required": _("Choose the owner of the works.")},
    )
    sector = forms.ChoiceField(label=_("Sector"), choices=Sector.choices)
    title = forms.CharField(
        label=_("Title"),
        max_length=200,
        help_text=_("e.g. Schloßstraße: renewal of the water main"),
        error_messages={"required": _("Give the works a title.")},
    )
    reference = forms.CharField(label=_("Owner's reference"), max_length=100, required=False)
    description = forms.CharField(
        label=_("Description"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    start_date = forms.DateField(
        label=_("Start"), widget=DATE_INPUT, error_messages={**DATE_ERRORS, "required": _("Enter the first day.")}
    )
    end_date = forms.DateField(
        label=_("End"), widget=DATE_INPUT, error_messages={**DATE_ERRORS, "required": _("Enter the last day.")}
    )
    dig_ban_until = forms.DateField(
        label=_("Dig ban until"),
        required=False,
        widget=DATE_INPUT,
        error_messages=DATE_ERRORS,
        help_text=_("After the resurfacing the street may not be opened again until this day. Empty: no dig ban."),
    )
    geometry = forms.CharField(
        label=_("Line or area (WKT)"),
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false", "autocomplete": "off"}),
        max_length=200_000,
        help_text=_(
            "Draw it on the map, or type it: LINESTRING (6.8791 51.4278, 6.8822 51.4281) or a POLYGON. "
            "Several lines as MULTILINESTRING."
        ),
        error_messages={"required": _("Draw the works on the map or type them as WKT.")},
    )
    crs = forms.ChoiceField(label=_("Coordinates in"), choices=CRS_CHOICES, required=False)

    def __init__(self, *args, owners=None, city: shapely.Geometry | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners if owners is not None else WorksOwner.objects.all()
        self.city = city
        self.notes: list[str] = []  # warnings of the geometry check, shown after saving

    def clean(self):
        cleaned = super().clean()
        start, end, ban = cleaned.get("start_date"), cleaned.get("end_date"), cleaned.get("dig_ban_until")
        if start and end and end < start:
            self.add_error("end_date", forms.ValidationError(_("The works end before they start."), code="order"))
        if end and ban and ban < end:
            self.add_error(
                "dig_ban_until",
                forms.ValidationError(_("The dig ban must not end before the works end."), code="order"),
            )
        text = cleaned.get("geometry")
        if text and self.city is not None:
            report = Report()
            geom = geometry_from_text(text, crs=cleaned.get("crs") or None, city=self.city, report=report)
            for problem in report.as_list():
                message = report_text(problem["message"])
                detail = problem.get("value")
                expected = report_text(problem.get("expected"))
                line = message + (f" ({detail})" if detail not in (None, "") else "")
                if expected:
                    line += " – " + _("expected: %(expected)s") % {"expected": expected}
                if problem["severity"] == "error":
                    self.add_error("geometry", forms.ValidationError(line, code="geometry"))
                else:
                    self.notes.append(line)
            if geom is not None:
                cleaned["geom"] = GEOSGeometry(memoryview(geom.wkb), srid=SRID)
        return cleaned


KIND_CHOICES = [("", _("Conflicts and chances")), ("konflikte", _("Conflicts only")), ("chancen", _("Chances only"))]
SORT_CHOICES = [
    ("beginn", _("Start of the works")),
    ("bau", _("Start of the fibre construction")),
    ("abstand", _("Distance")),
    ("anbieter", _("Provider")),
    ("traeger", _("Owner")),
    ("stadtteil", _("District")),
]


class MatchFilterForm(forms.Form):
    """The match list's GET parameters; anything out of range is a 400 with the field's message."""

    art = forms.ChoiceField(label=_("Which matches"), choices=KIND_CHOICES, required=False)
    anbieter = forms.ChoiceField(label=_("Provider"), required=False)
    traeger = forms.ChoiceField(label=_("Owner"), required=False)
    sparte = forms.ChoiceField(label=_("Sector"), choices=[("", _("All sectors")), *Sector.choices], required=False)
    abstand = forms.IntegerField(
        label=_("Distance for chances (metres)"),
        min_value=0,
        max_value=MAX_DISTANCE_M,
        required=False,
        error_messages={
            "invalid": _("Enter the distance as a whole number of metres."),
            "min_value": _("The distance cannot be negative."),
            "max_value": _("At most %(limit_value)s metres."),
        },
    )
    monate = forms.IntegerField(
        label=_("Time for chances (months)"),
        min_value=0,
        max_value=MAX_MONTHS,
        required=False,
        error_messages={
            "invalid": _("Enter the time as a whole number of months."),
            "min_value": _("The time cannot be negative."),
            "max_value": _("At most %(limit_value)s months."),
        },
    )
    sortierung = forms.ChoiceField(label=_("Sort by"), choices=SORT_CHOICES, required=False)

    def __init__(self, *args, providers, owners, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["anbieter"].choices = [("", _("All providers")), *((p.slug, p.name) for p in providers)]
        if owners is None:  # providers' members filter by provider and sector only
            del self.fields["traeger"]
        else:
            self.fields["traeger"].choices = [("", _("All owners")), *((str(o.pk), o.name) for o in owners)]


class NotifyForm(forms.Form):
    art = forms.ChoiceField(choices=[("conflict", "conflict"), ("chance", "chance")], widget=forms.HiddenInput)
    baustelle = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    gebiet = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    abstand = forms.IntegerField(min_value=0, max_value=MAX_DISTANCE_M, widget=forms.HiddenInput)
    monate = forms.IntegerField(min_value=0, max_value=MAX_MONTHS, widget=forms.HiddenInput)
    token = forms.UUIDField(widget=forms.HiddenInput)
    message = forms.CharField(
        label=_("Note for the recipients"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"max_length": _("At most %(limit_value)d characters.")},
    )
