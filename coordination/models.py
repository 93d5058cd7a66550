"""Models of dig-once coordination: the owners of roadworks, their works, their file imports and the
notifications planners send about a match between works and planned fibre.

Geometry: a work is stored as delivered, a line (MultiLineString: a trench along a street) or an area
(MultiPolygon: a resurfaced square, a site), in EPSG:25832, with a GiST index. Not as a buffered footprint:
a buffer would bake one arbitrary width into the data, lose the line the owner sent (exports give back what
came in) and make "within N metres" a distance from a guessed kerb instead of from the works. Distances are
measured in PostGIS from the geometry itself (ST_DWithin, which uses the index), so N stays a setting of the
matching, not of the data. A point site from a CSV with lat/lon becomes a small circle (an area), so the
column holds lines and areas only (CHECK constraint).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from coordination.sectors import Sector
from layers.models import SRID


class WorksOwner(models.Model):
    """An organisation that opens streets: the city's road department, a utility, a network operator."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    sector = models.CharField(
        _("main sector"),
        max_length=32,
        choices=Sector.choices,
        default=Sector.OTHER,
        help_text=_("Used for rows of its files that name no sector."),
    )
    contact_email = models.EmailField(
        _("contact e-mail"), blank=True, help_text=_("Receives the notifications about matches with planned fibre.")
    )
    field_mapping = models.JSONField(
        _("field mapping"), default=dict, blank=True, help_text=_("The columns of its files, reused for the next one.")
    )
    is_demo = models.BooleanField(_("demo data"), default=False)

    class Meta:
        verbose_name = _("owner of roadworks")
        verbose_name_plural = _("owners of roadworks")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


def import_upload_to(instance: RoadworksImport, filename: str) -> str:
    return f"roadworks/{instance.owner_id}/{instance.received_at:%Y/%m}/{filename}"


class RoadworksImport(models.Model):
    """One file of an owner's roadworks, kept as received, with its validation report.

    A valid file replaces the owner's earlier imported works in one transaction (coordination.services says
    why); an invalid one stores nothing but this row and its report.
    """

    class State(models.TextChoices):
        IMPORTED = "imported", _("Imported")
        INVALID = "invalid", _("Invalid")

    owner = models.ForeignKey(WorksOwner, on_delete=models.PROTECT, related_name="imports")
    file = models.FileField(_("file"), upload_to=import_upload_to, max_length=500, blank=True)
    original_name = models.CharField(_("original file name"), max_length=255)
    size = models.BigIntegerField(_("size in bytes"), default=0)
    state = models.CharField(_("state"), max_length=16, choices=State.choices)
    report = models.JSONField(_("validation report"), default=list, blank=True)
    mapping = models.JSONField(_("field mapping used"), default=dict, blank=True)
    created = models.PositiveIntegerField(_("new works"), default=0)
    updated = models.PositiveIntegerField(_("updated works"), default=0)
    removed = models.PositiveIntegerField(_("removed works"), default=0)
    received_at = models.DateTimeField(_("received"))
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("roadworks import")
        verbose_name_plural = _("roadworks imports")
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.owner}: {self.original_name} ({self.state})"


class Roadworks(models.Model):
    """Works that open a street for a while, and the dig ban (Aufbruchsperre) after the resurfacing."""

    class Source(models.TextChoices):
        IMPORT = "import", _("File import")
        FORM = "form", _("Entered in the form")
        DEMO = "demo", _("Demo data")

    owner = models.ForeignKey(WorksOwner, on_delete=models.PROTECT, related_name="roadworks")
    sector = models.CharField(_("sector"), max_length=32, choices=Sector.choices)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    reference = models.CharField(
        _("owner's reference"), max_length=100, blank=True, help_text=_("The owner's own file number or identifier.")
    )
    geom = models.GeometryField(_("line or area"), srid=SRID)
    start_date = models.DateField(_("start"))
    end_date = models.DateField(_("end"))
    dig_ban_until = models.DateField(
        _("dig ban until"),
        null=True,
        blank=True,
        help_text=_("After resurfacing the street may not be opened again until this day (Aufbruchsperre)."),
    )
    # The Stadtteil the works lie in (at a point on them), set by coordination.services in one statement per
    # write, so that the matching does not look it up for every match.
    district = models.ForeignKey(
        "layers.District",
        verbose_name=_("district"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    source_import = models.ForeignKey(
        RoadworksImport, null=True, blank=True, on_delete=models.SET_NULL, related_name="roadworks"
    )
    source_note = models.CharField(_("source note"), max_length=300, blank=True)
    is_demo = models.BooleanField(_("demo data"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("roadworks")
        verbose_name_plural = _("roadworks")
        ordering = ["start_date", "title"]
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gte=F("start_date")), name="roadworks_end_after_start"),
            models.CheckConstraint(
                condition=Q(dig_ban_until__isnull=True) | Q(dig_ban_until__gte=F("end_date")),
                name="roadworks_ban_after_end",
            ),
            models.UniqueConstraint(
                fields=["owner", "reference"], condition=~Q(reference=""), name="roadworks_unique_reference"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.owner}: {self.title}"


class MatchNotification(models.Model):
    """A record of one e-mail a planner sent about a match: to whom, what, when, by whom. Never edited.

    The works and the provider may go (a re-import, demo data replaced): the record keeps their names and
    the text as sent. ``token`` is the form's one-time key: a second post of the same form (a double click)
    finds it taken and sends nothing.
    """

    class Kind(models.TextChoices):
        CONFLICT = "conflict", _("Conflict with a dig ban")
        CHANCE = "chance", _("Chance to lay fibre together")

    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    roadworks = models.ForeignKey(
        Roadworks, null=True, blank=True, on_delete=models.SET_NULL, related_name="notifications"
    )
    provider = models.ForeignKey("rollout.Provider", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    area_key = models.CharField(_("plan area"), max_length=100)
    version_number = models.PositiveIntegerField(_("plan version"))
    roadworks_title = models.CharField(_("roadworks"), max_length=200)
    owner_name = models.CharField(_("owner"), max_length=200)
    provider_name = models.CharField(_("provider"), max_length=200)
    recipients = models.JSONField(_("recipients"), default=list)
    subject = models.CharField(_("subject"), max_length=300)
    message = models.TextField(_("planner's note"), blank=True)
    sent_at = models.DateTimeField(_("sent"))
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("match notification")
        verbose_name_plural = _("match notifications")
        ordering = ["-sent_at"]
        indexes = [models.Index(fields=["roadworks", "provider", "area_key"], name="matchnotification_match")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.roadworks_title} / {self.provider_name} {self.area_key}"
