"""Forms of the provider pages: the plan upload, the field mapping, a decision note; the upload size guard."""

from __future__ import annotations

from pathlib import Path

from django import forms
from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import QueryDict
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext_lazy as _

from rollout.importers import CANONICAL_FIELDS
from rollout.readers import SUPPORTED, SUPPORTED_CSV

ACCEPTED_SUFFIXES = sorted(set(SUPPORTED) | SUPPORTED_CSV)
# Room for the multipart envelope (boundaries, headers, the CSRF token) around the file itself.
MULTIPART_SLACK_BYTES = 64 * 1024


class UploadTooLarge(Exception):
    """The request body is larger than settings.PLAN_UPLOAD_MAX_BYTES allows."""


class SizeLimitUploadHandler(FileUploadHandler):
    """First in the chain: stops reading an upload as soon as it passes the limit.

    A body announced (Content-Length) as too large is not read at all; one that
    turns out too large while streaming stops there: the bytes read so far are
    discarded (the following handlers never complete the file) and the rest of
    the body is drained without being stored.
    """

    def __init__(self, request=None, *, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.exceeded = False

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):  # noqa: N803 - Django's name
        if content_length > self.limit + MULTIPART_SLACK_BYTES:
            # Announced as too large: parse nothing and read none of it.
            self.exceeded = True
            return QueryDict(), MultiValueDict()
        return None

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if start + len(raw_data) > self.limit:
            self.exceeded = True
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


def too_large_message() -> str:
    return _("The file is larger than the limit of %(limit)s.") % {
        "limit": filesizeformat(settings.PLAN_UPLOAD_MAX_BYTES)
    }


class PlanUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Plan file"),
        help_text=_("GeoPackage, zipped Shapefile, GeoJSON, CSV or KML."),
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(ACCEPTED_SUFFIXES)}),
        error_messages={
            "required": _("Choose a file to upload."),
            "empty": _("The file is empty."),
        },
    )

    def __init__(self, *args, too_large: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.too_large = too_large  # the SizeLimitUploadHandler stopped reading the body

    def clean(self):
        if self.too_large:
            # Not "choose a file": there was one, and it was too large to read.
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


# Labels of the canonical fields a provider's columns are mapped to (rollout.importers.COLUMN_SYNONYMS).
FIELD_LABELS = {
    "key": _("Area identifier"),
    "name": _("Area name"),
    "stage": _("Stage"),
    "technology": _("Technology"),
    "expected": _("Expected (quarter or date)"),
    "max_down": _("Max. download (Mbit/s)"),
    "max_up": _("Max. upload (Mbit/s)"),
    "quota": _("Sign-up quota (%)"),
    "quota_deadline": _("Sign-up deadline"),
    "cancel_reason": _("Reason for cancelling"),
    "funding": _("Funding"),
    "subsidy_programme": _("Subsidy programme"),
    "connection_fee": _("Connection fee (EUR)"),
    "target_group": _("Target group"),
    "street": _("Street"),
    "house_number": _("House number"),
    "postcode": _("Postcode"),
    "wkt": _("Geometry as WKT"),
    "lat": _("Latitude"),
    "lon": _("Longitude"),
    "crs": _("Coordinate reference system (CSV with WKT)"),
}


class FieldMappingForm(forms.Form):
    """One text input per canonical field: the column of the provider's export that holds it."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name in (*CANONICAL_FIELDS, "crs"):
            self.fields[name] = forms.CharField(
                label=FIELD_LABELS.get(name, name),
                required=False,
                max_length=100,
                widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
            )
        self.fields["crs"].help_text = _("e.g. EPSG:25832")

    def mapping(self) -> dict[str, str]:
        return {name: value for name, value in self.cleaned_data.items() if value}


class DecisionForm(forms.Form):
    note = forms.CharField(
        label=_("Reason for rejecting"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Say why the file is rejected; the provider reads this note.")},
    )


class AsOfForm(forms.Form):
    """The day of the provider page's "plan as of" question (GET parameter ``stand``): today or earlier."""

    stand = forms.DateField(
        label=_("Date"),
        error_messages={
            "required": _("Enter a date."),
            "invalid": _("Enter a valid date, e.g. 2026-03-31."),
        },
    )

    def clean_stand(self):
        day = self.cleaned_data["stand"]
        if day > timezone.localdate():
            raise forms.ValidationError(
                _("Choose today or a day in the past: the plan of a future day is not known yet."), code="future"
            )
        return day
