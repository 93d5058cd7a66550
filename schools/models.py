"""Schools of the city (the official NRW school master data) and their connectivity.

The school facts are real open data (schools.importers). Connection records, their history, measurement
tokens and speed measurements are the city's own (or, while demo data is loaded, generated: ``is_demo``).
"""

from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from schools.vocabulary import ConnectionStatus, ConnectionTechnology, Funding

SRID = 25832


class School(models.Model):
    """A school by its official NRW school number (Schulnummer)."""

    school_number = models.CharField(_("school number"), max_length=6, unique=True)
    name = models.CharField(_("name"), max_length=300)
    short_name = models.CharField(_("short name"), max_length=300, blank=True)
    school_type = models.CharField(_("type of school"), max_length=100)
    school_type_code = models.CharField(_("type code"), max_length=4, blank=True)
    street = models.CharField(_("street and number"), max_length=200)
    postcode = models.CharField(_("postcode"), max_length=5)
    city = models.CharField(_("city"), max_length=100, default="Mülheim an der Ruhr")
    geom = models.PointField(_("position"), srid=SRID)
    district = models.ForeignKey(
        "layers.District", verbose_name=_("district"), null=True, blank=True, on_delete=models.SET_NULL
    )
    pupils = models.PositiveIntegerField(_("pupils"), null=True, blank=True)
    pupils_school_year = models.CharField(_("school year of pupil count"), max_length=7, blank=True)
    social_index = models.PositiveSmallIntegerField(
        _("school social index"), null=True, blank=True, help_text=_("Schulsozialindex NRW, 1 (low) to 9 (high).")
    )
    startchancen = models.BooleanField(_("Startchancen school"), default=False)
    legal_status = models.CharField(_("legal status"), max_length=100, blank=True)
    website = models.URLField(_("website"), blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    is_school = models.BooleanField(
        _("is a school"), default=True, help_text=_("False for offices listed in the school register (Schulamt).")
    )
    source = models.CharField(_("source"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("school")
        verbose_name_plural = _("schools")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.school_number})"


class ConnectionFields(models.Model):
    """What a connection record says; shared by the current record and every row of its history."""

    status = models.CharField(
        _("status"), max_length=24, choices=ConnectionStatus.choices, default=ConnectionStatus.NOT_CONNECTED
    )
    planned_date = models.DateField(
        _("expected completion"), null=True, blank=True, help_text=_("When the fibre connection is expected.")
    )
    connected_date = models.DateField(_("connected on"), null=True, blank=True)
    technology = models.CharField(_("technology"), max_length=16, choices=ConnectionTechnology.choices, blank=True)
    contracted_down_mbits = models.PositiveIntegerField(_("contracted download (Mbit/s)"), null=True, blank=True)
    contracted_up_mbits = models.PositiveIntegerField(_("contracted upload (Mbit/s)"), null=True, blank=True)
    provider = models.ForeignKey(
        "rollout.Provider", verbose_name=_("provider"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    provider_name = models.CharField(
        _("other provider"), max_length=200, blank=True, help_text=_("A provider that is not registered here.")
    )
    funding = models.CharField(_("funding"), max_length=24, choices=Funding.choices, blank=True)
    note = models.TextField(_("note"), blank=True)
    # From which day this state holds (a planner may enter a change some days after it happened).
    valid_from = models.DateField(_("valid from"))
    changed_at = models.DateTimeField(_("changed"))
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("changed by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    is_demo = models.BooleanField(_("demo data"), default=False)

    class Meta:
        abstract = True

    @property
    def provider_label(self) -> str:
        return self.provider.name if self.provider_id else self.provider_name


def _connection_constraints(prefix: str) -> list:
    """A planned connection has a date, a connected one the day it was connected (also checked by the service)."""
    return [
        models.CheckConstraint(
            condition=~Q(status=ConnectionStatus.PLANNED) | Q(planned_date__isnull=False),
            name=f"{prefix}_planned_has_date",
        ),
        models.CheckConstraint(
            condition=~Q(status=ConnectionStatus.CONNECTED) | Q(connected_date__isnull=False),
            name=f"{prefix}_connected_has_date",
        ),
    ]


class SchoolConnection(ConnectionFields):
    """The school's connection as it stands now: written only by schools.services, with a history row each time."""

    school = models.OneToOneField(School, on_delete=models.CASCADE, related_name="connection")

    class Meta:
        verbose_name = _("school connection")
        verbose_name_plural = _("school connections")
        constraints = _connection_constraints("schoolconnection")

    def __str__(self) -> str:
        return f"{self.school}: {self.get_status_display()}"


class SchoolConnectionChange(ConnectionFields):
    """One state of a school's connection in its history: the state at a day is the newest row valid by then."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="connection_changes")

    class Meta:
        verbose_name = _("change of a school connection")
        verbose_name_plural = _("changes of school connections")
        ordering = ["school", "valid_from", "changed_at"]
        constraints = _connection_constraints("schoolconnectionchange")
        indexes = [models.Index(fields=["school", "valid_from", "changed_at"], name="schoolconnchange_asof")]

    def __str__(self) -> str:
        return f"{self.school_id} from {self.valid_from}: {self.status}"


class SchoolToken(models.Model):
    """A secret with which a school's measuring device sends speed measurements (schools/tokens.py).

    Only a SHA-256 digest is stored; the token is shown once when a planner makes it.
    """

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="tokens")
    name = models.CharField(_("name"), max_length=100, help_text=_("What the token is for, e.g. 'router in room 101'."))
    prefix = models.CharField(_("prefix"), max_length=12, help_text=_("The token's first characters, to recognise it."))
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("measurement token")
        verbose_name_plural = _("measurement tokens")
        ordering = ["school", "-created_at"]

    def __str__(self) -> str:
        return f"{self.school}: {self.name} ({self.prefix}…)"


class MeasurementBatch(models.Model):
    """One delivery of measurements (an API request, or the demo generator): who sent what, and what was kept."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="measurement_batches")
    token = models.ForeignKey(SchoolToken, null=True, blank=True, on_delete=models.SET_NULL, related_name="batches")
    received_at = models.DateTimeField(_("received"))
    format = models.CharField(_("format"), max_length=8)
    rows = models.PositiveIntegerField(_("rows received"), default=0)
    stored = models.PositiveIntegerField(_("rows stored"), default=0)
    duplicates = models.PositiveIntegerField(_("duplicates"), default=0)
    is_demo = models.BooleanField(_("demo data"), default=False)

    class Meta:
        verbose_name = _("measurement delivery")
        verbose_name_plural = _("measurement deliveries")
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.school_id} {self.received_at:%Y-%m-%d %H:%M}: {self.stored}/{self.rows}"


class Measurement(models.Model):
    """One speed measurement at a school. Unique per school and time: a resent measurement is not stored twice."""

    # No index of its own: the unique (school, measured_at) index serves every read by school.
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+", db_index=False)
    measured_at = models.DateTimeField(_("measured at"))
    down_mbits = models.FloatField(_("download (Mbit/s)"))
    up_mbits = models.FloatField(_("upload (Mbit/s)"))
    latency_ms = models.FloatField(_("latency (ms)"), null=True, blank=True)
    jitter_ms = models.FloatField(_("jitter (ms)"), null=True, blank=True)
    packet_loss_percent = models.FloatField(_("packet loss (%)"), null=True, blank=True)
    batch = models.ForeignKey(MeasurementBatch, on_delete=models.CASCADE, related_name="+", db_index=False)
    is_demo = models.BooleanField(_("demo data"), default=False)

    class Meta:
        verbose_name = _("measurement")
        verbose_name_plural = _("measurements")
        constraints = [
            models.UniqueConstraint(fields=["school", "measured_at"], name="measurement_unique_time"),
            models.CheckConstraint(
                condition=Q(down_mbits__gte=0) & Q(up_mbits__gte=0), name="measurement_bandwidth_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.school_id} {self.measured_at}: {self.down_mbits}/{self.up_mbits}"


class MeasurementAggregate(models.Model):
    """Daily and weekly figures of a school's measurements (days and ISO weeks in the city's time zone).

    Derived: rewritten by schools.aggregates for the days a delivery touched, in its transaction.
    """

    class Period(models.TextChoices):
        DAY = "day", _("day")
        WEEK = "week", _("week")

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="measurement_aggregates")
    period = models.CharField(_("period"), max_length=4, choices=Period.choices)
    period_start = models.DateField(_("first day"))
    measurements = models.PositiveIntegerField(_("measurements"))
    down_median_mbits = models.FloatField(_("median download (Mbit/s)"))
    down_p10_mbits = models.FloatField(_("10th percentile of download (Mbit/s)"))
    down_max_mbits = models.FloatField(_("highest download (Mbit/s)"))
    up_median_mbits = models.FloatField(_("median upload (Mbit/s)"))
    latency_median_ms = models.FloatField(_("median latency (ms)"), null=True, blank=True)
    jitter_median_ms = models.FloatField(_("median jitter (ms)"), null=True, blank=True)
    packet_loss_mean_percent = models.FloatField(_("mean packet loss (%)"), null=True, blank=True)
    is_demo = models.BooleanField(_("demo data"), default=False)

    class Meta:
        verbose_name = _("measurement aggregate")
        verbose_name_plural = _("measurement aggregates")
        ordering = ["school", "period", "period_start"]
        constraints = [
            models.UniqueConstraint(fields=["school", "period", "period_start"], name="measurementaggregate_unique")
        ]

    def __str__(self) -> str:
        return f"{self.school_id} {self.period} {self.period_start}: {self.down_median_mbits}"


class SchoolAddress(models.Model):
    """The registered address of a school (a database view, migration 0003): the link to the rollout data.

    The school register has a street-and-number string and a point; the address register has addresses. A
    school's address is the registered address of the same street, house number (the first of a range such as
    "21-25" that exists) and postcode, "Str." read as "Straße"; failing that the nearest address within
    ``NEARBY_M`` metres of the school's point; else none. A view and not a stored column, so it is right the
    moment addresses are imported or replaced.
    """

    NEARBY_M = 20

    class Match(models.TextChoices):
        ADDRESS = "address", _("same street and number")
        NEARBY = "nearby", _("nearest address within 20 m")

    school = models.OneToOneField(School, primary_key=True, on_delete=models.DO_NOTHING, related_name="registered")
    address = models.ForeignKey("layers.Address", on_delete=models.DO_NOTHING, related_name="+")
    match = models.CharField(max_length=8, choices=Match.choices)
    distance_m = models.FloatField()

    class Meta:
        managed = False
        db_table = "schools_schooladdress"
        verbose_name = _("address of a school")
        verbose_name_plural = _("addresses of schools")

    def __str__(self) -> str:
        return f"{self.school_id} -> {self.address_id} ({self.match})"


class MeasuredSummary(models.Model):
    """A school's measured values now: medians over the last SCHOOL_MEASUREMENT_WINDOW_DAYS days.

    Derived, one row per school that measured in the window: rewritten for the school by every delivery and for
    all schools every night by the task queue (schools/tasks.py), as the window moves on. Pages and the OGC API
    join it, so the benchmark class of all schools costs no aggregate over the measurements per request.
    """

    school = models.OneToOneField(School, primary_key=True, on_delete=models.CASCADE, related_name="measured")
    window_start = models.DateTimeField(_("measured since"))
    measurements = models.PositiveIntegerField(_("measurements"))
    down_median_mbits = models.FloatField(_("median download (Mbit/s)"))
    up_median_mbits = models.FloatField(_("median upload (Mbit/s)"))
    latency_median_ms = models.FloatField(_("median latency (ms)"), null=True, blank=True)
    newest_at = models.DateTimeField(_("newest measurement"))
    computed_at = models.DateTimeField(_("computed"))
    is_demo = models.BooleanField(_("demo data"), default=False)

    class Meta:
        verbose_name = _("measured values of a school")
        verbose_name_plural = _("measured values of schools")

    def __str__(self) -> str:
        return f"{self.school_id}: {self.down_median_mbits}/{self.up_median_mbits}"
