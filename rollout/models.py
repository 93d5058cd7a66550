"""Models of the fibre rollout domain.

A provider hands in a file (PlanSubmission); an accepted submission becomes an
immutable PlanVersion with its PlanAreas (polygons or explicit address lists).
Availability is derived from the current *published* versions only and is
therefore public data; unpublished plans never reach that table.
"""

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import BrinIndex
from django.core.validators import RegexValidator
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from geoportal.errors import InvalidInputError
from layers.models import SRID
from rollout.stages import Funding, Stage, TargetGroup, Technology


class Provider(models.Model):
    """A network operator that plans or builds in the city."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    slug = models.SlugField(_("identifier"), max_length=64, unique=True)
    colour = models.CharField(
        _("colour"),
        max_length=7,
        default="#1f6feb",
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Use a hex colour such as #1f6feb."))],
    )
    website = models.URLField(_("website"), blank=True)
    is_demo = models.BooleanField(_("demo data"), default=False, help_text=_("A fictional provider of the demo data."))
    may_self_publish = models.BooleanField(
        _("may publish itself"),
        default=False,
        help_text=_("The city allows this provider's members to publish their accepted plan versions."),
    )

    class Meta:
        verbose_name = _("provider")
        verbose_name_plural = _("providers")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ProviderMembership(models.Model):
    """A user account acting for a provider: sees and submits that provider's unpublished plans."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="provider_memberships")
    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="memberships")

    class Meta:
        verbose_name = _("provider membership")
        verbose_name_plural = _("provider memberships")
        constraints = [models.UniqueConstraint(fields=["user", "provider"], name="membership_unique")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.provider}"


class FieldMapping(models.Model):
    """A provider's saved column mapping (canonical field → column in their export), reused next quarter."""

    provider = models.OneToOneField(Provider, on_delete=models.CASCADE, related_name="field_mapping")
    mapping = models.JSONField(_("mapping"), default=dict)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("field mapping")
        verbose_name_plural = _("field mappings")

    def __str__(self) -> str:
        return f"mapping of {self.provider}"


def submission_upload_to(instance: "PlanSubmission", filename: str) -> str:
    return f"submissions/{instance.provider.slug}/{instance.received_at:%Y/%m}/{filename}"


class PlanSubmission(models.Model):
    """One uploaded file, kept as received, with its validation report and its diff against the current plan."""

    class State(models.TextChoices):
        RECEIVED = "received", _("Received")
        INVALID = "invalid", _("Invalid")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")
        SUPERSEDED = "superseded", _("Superseded")

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="submissions")
    file = models.FileField(_("file"), upload_to=submission_upload_to, max_length=500, blank=True)
    original_name = models.CharField(_("original file name"), max_length=255)
    size = models.BigIntegerField(_("size in bytes"), default=0)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.RECEIVED)
    report = models.JSONField(_("validation report"), default=list, blank=True)
    diff = models.JSONField(_("diff against the current plan"), default=dict, blank=True)
    features = models.JSONField(
        _("validated features"), default=list, blank=True, help_text=_("Normalised rows, EWKT in EPSG:25832.")
    )
    feature_count = models.PositiveIntegerField(_("validated features"), default=0)
    # A large plan's validated features are staged in a table of their own (rollout.staging.own_table), which
    # becomes its version's partition of rollout_planarea on acceptance; smaller ones in PlanAreaStaging.
    own_table = models.BooleanField(_("staged in a table of its own"), default=False)
    # A file that was not accepted keeps its staged features for settings.PLAN_STAGING_KEEP_DAYS after the
    # decision, then they are dropped (manage.py prune_staging); its file, report and diff stay.
    staged_dropped_at = models.DateTimeField(_("staged features dropped"), null=True, blank=True)
    mapping = models.JSONField(_("field mapping used"), default=dict, blank=True)
    received_at = models.DateTimeField(_("received"))
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decision_note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("plan submission")
        verbose_name_plural = _("plan submissions")
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.provider} {self.original_name} ({self.state})"


class PlanVersion(models.Model):
    """An accepted plan of one provider. Never overwritten: a new submission makes a new version."""

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="plan_versions")
    number = models.PositiveIntegerField(_("version"))
    submission = models.OneToOneField(
        PlanSubmission, null=True, blank=True, on_delete=models.PROTECT, related_name="version"
    )
    accepted_at = models.DateTimeField(_("accepted"))
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("plan version")
        verbose_name_plural = _("plan versions")
        ordering = ["provider", "-number"]
        constraints = [models.UniqueConstraint(fields=["provider", "number"], name="planversion_unique_number")]
        indexes = [models.Index(fields=["provider", "published_at"], name="planversion_published")]

    def __str__(self) -> str:
        return f"{self.provider} v{self.number}"

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class PlanArea(models.Model):
    """One area of a plan version: a polygon, or an explicit list of addresses, with its attributes."""

    class Precision(models.TextChoices):
        DAY = "day", _("day")
        QUARTER = "quarter", _("quarter")

    # No index of its own: the unique (version, key) index serves lookups by version (one index less to
    # maintain for every area of a 100,000-area plan). No row-by-row FOREIGN KEY either: PostgreSQL checked
    # it per inserted area at commit (~0.3 s of accepting 100,000 areas). Statement-level triggers
    # (migration 0009) check the same once per statement: every area's version exists, and a version that
    # still has areas cannot be deleted. Django deletes the areas with their version (on_delete=CASCADE).
    version = models.ForeignKey(
        PlanVersion, on_delete=models.CASCADE, related_name="areas", db_index=False, db_constraint=False
    )
    key = models.CharField(_("provider's identifier"), max_length=100)
    name = models.CharField(_("name"), max_length=200, blank=True)
    geom = models.MultiPolygonField(_("area"), srid=SRID, null=True, blank=True)
    addresses = models.ManyToManyField("layers.Address", blank=True, related_name="plan_areas")
    stage = models.CharField(_("stage"), max_length=32, choices=Stage.choices)
    technology = models.CharField(_("technology"), max_length=16, choices=Technology.choices)
    max_down_mbits = models.PositiveIntegerField(_("max. download (Mbit/s)"), null=True, blank=True)
    max_up_mbits = models.PositiveIntegerField(_("max. upload (Mbit/s)"), null=True, blank=True)
    expected_date = models.DateField(_("expected"), null=True, blank=True, help_text=_("First day of a quarter."))
    expected_precision = models.CharField(_("precision"), max_length=8, choices=Precision.choices, blank=True)
    quota_percent = models.PositiveSmallIntegerField(_("sign-up quota (%)"), null=True, blank=True)
    quota_deadline = models.DateField(_("sign-up deadline"), null=True, blank=True)
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True)
    funding = models.CharField(_("funding"), max_length=16, choices=Funding.choices, default=Funding.OWN)
    subsidy_programme = models.CharField(_("subsidy programme"), max_length=200, blank=True)
    connection_fee_eur = models.DecimalField(
        _("connection fee (EUR)"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    target_group = models.CharField(
        _("target group"), max_length=16, choices=TargetGroup.choices, default=TargetGroup.RESIDENTIAL
    )

    class Meta:
        verbose_name = _("plan area")
        verbose_name_plural = _("plan areas")
        ordering = ["version", "key"]
        constraints = [
            models.UniqueConstraint(fields=["version", "key"], name="planarea_unique_key"),
            models.CheckConstraint(
                condition=~Q(stage=Stage.CANCELLED) | ~Q(cancel_reason=""), name="planarea_cancel_has_reason"
            ),
            models.CheckConstraint(
                condition=~Q(funding=Funding.SUBSIDY) | ~Q(subsidy_programme=""),
                name="planarea_subsidy_has_programme",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.version} {self.key}"

    def save(self, *args, **kwargs) -> None:
        # Versions are history: a changed plan is a new version, never an edited area.
        if not self._state.adding:
            raise InvalidInputError("plan areas are immutable; hand in a new plan version instead")
        super().save(*args, **kwargs)


class PlanAreaStaging(models.Model):
    """A validated row of a received submission, waiting to become a PlanArea when the submission is accepted.

    Filled with COPY by rollout.staging (one row per validated feature, in file order) and moved into
    PlanArea by one INSERT … SELECT on acceptance. Only plans below rollout.staging.PARTITION_MIN_AREAS areas:
    larger ones are staged in a table of their own (PlanSubmission.own_table) that becomes their partition.
    Not a plan table: nothing here is visible to anyone but through the submission it belongs to, and
    invalid files never get rows here. The table is UNLOGGED (migration 0006): its rows are derived from the
    kept file, so they are not worth a second write to the WAL; after a crash PostgreSQL empties it and
    acceptance refuses submissions whose rows are gone (PlanSubmission.feature_count), asking for the file
    again.
    """

    # No FOREIGN KEY constraint in the database: PostgreSQL would check it for every COPYed row at commit
    # (~0.3 s for 100,000 rows). Django deletes the rows with their submission (on_delete=CASCADE).
    # A BRIN index (Meta.indexes) instead of a B-tree: a submission's rows are written by one COPY, so they
    # lie together; a B-tree took ~0.1 s of COPYing 100,000 rows, the block range index next to nothing.
    submission = models.ForeignKey(
        PlanSubmission, on_delete=models.CASCADE, related_name="staged_areas", db_constraint=False, db_index=False
    )
    position = models.PositiveIntegerField(_("position in the validated plan"))
    row = models.PositiveIntegerField(_("row in the file"), null=True, blank=True)
    key = models.CharField(max_length=100)
    name = models.CharField(max_length=200, blank=True)
    geom = models.MultiPolygonField(srid=SRID, null=True, blank=True, spatial_index=False)  # never searched
    addresses = ArrayField(models.IntegerField(), null=True, blank=True)
    stage = models.CharField(max_length=32)
    technology = models.CharField(max_length=16)
    max_down_mbits = models.PositiveIntegerField(null=True, blank=True)
    max_up_mbits = models.PositiveIntegerField(null=True, blank=True)
    expected_date = models.DateField(null=True, blank=True)
    expected_precision = models.CharField(max_length=8, blank=True)
    quota_percent = models.PositiveSmallIntegerField(null=True, blank=True)
    quota_deadline = models.DateField(null=True, blank=True)
    cancel_reason = models.TextField(blank=True)
    funding = models.CharField(max_length=16)
    subsidy_programme = models.CharField(max_length=200, blank=True)
    connection_fee_eur = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    target_group = models.CharField(max_length=16)

    class Meta:
        verbose_name = _("staged plan area")
        verbose_name_plural = _("staged plan areas")
        ordering = ["submission", "position"]
        indexes = [BrinIndex(fields=["submission"], name="planareastaging_submission", autosummarize=True)]

    def __str__(self) -> str:
        return f"{self.submission_id} {self.key}"


class Availability(models.Model):
    """Per address and provider: what the current *published* plans promise. Derived; recomputed as a whole."""

    address = models.ForeignKey("layers.Address", on_delete=models.CASCADE, related_name="availability")
    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="availability")
    version = models.ForeignKey(PlanVersion, on_delete=models.CASCADE, related_name="+")
    # rollout_planarea is partitioned by version (migration 0010): the database checks the composite foreign key
    # (area_id, version_id) → (id, version_id) instead, which also keeps area and version consistent.
    area = models.ForeignKey(PlanArea, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    stage = models.CharField(_("stage"), max_length=32, choices=Stage.choices)
    technology = models.CharField(_("technology"), max_length=16, choices=Technology.choices)
    max_down_mbits = models.PositiveIntegerField(_("max. download (Mbit/s)"), null=True, blank=True)
    max_up_mbits = models.PositiveIntegerField(_("max. upload (Mbit/s)"), null=True, blank=True)
    expected_date = models.DateField(_("expected"), null=True, blank=True)
    expected_precision = models.CharField(_("precision"), max_length=8, blank=True)
    last_confirmed = models.DateTimeField(_("last confirmed"), help_text=_("When the version was published."))

    class Meta:
        verbose_name = _("availability")
        verbose_name_plural = _("availability")
        constraints = [models.UniqueConstraint(fields=["address", "provider"], name="availability_unique")]
        indexes = [models.Index(fields=["provider", "stage"], name="availability_provider_stage")]

    def __str__(self) -> str:
        return f"{self.address_id}/{self.provider_id}: {self.stage}"


class AvailabilityChangeSet(models.Model):
    """One recompute of the public availability table that changed something: the unit of notifications and feeds.

    Written in the recompute's transaction, so it exists exactly when its changes do; ``version`` is the published
    version that caused it (None for a recompute by hand). ``announced_at`` is set once the task queue has handed it
    to the consumers (residents' notifications), so a retried job never announces it twice.
    """

    version = models.ForeignKey(PlanVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created"))
    change_count = models.PositiveIntegerField(_("changes"), default=0)
    announced_at = models.DateTimeField(_("announced"), null=True, blank=True)

    class Meta:
        verbose_name = _("availability change set")
        verbose_name_plural = _("availability change sets")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} ({self.change_count})"


class AvailabilityChange(models.Model):
    """What one recompute changed for one address and provider: stage or expected date, or the row came or went.

    Published data only (it compares two states of the public Availability table), hence public like it.
    """

    class Kind(models.TextChoices):
        ADDED = "added", _("newly planned or available")
        REMOVED = "removed", _("no longer planned")
        CHANGED = "changed", _("stage or date changed")

    changeset = models.ForeignKey(AvailabilityChangeSet, on_delete=models.CASCADE, related_name="changes")
    address = models.ForeignKey("layers.Address", on_delete=models.CASCADE, related_name="+", db_index=False)
    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="+", db_index=False)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    old_stage = models.CharField(_("stage before"), max_length=32, blank=True)
    new_stage = models.CharField(_("stage after"), max_length=32, blank=True)
    old_expected_date = models.DateField(_("expected before"), null=True, blank=True)
    new_expected_date = models.DateField(_("expected after"), null=True, blank=True)
    old_expected_precision = models.CharField(max_length=8, blank=True)
    new_expected_precision = models.CharField(max_length=8, blank=True)
    technology = models.CharField(_("technology"), max_length=16, blank=True)
    max_down_mbits = models.PositiveIntegerField(_("max. download (Mbit/s)"), null=True, blank=True)

    class Meta:
        verbose_name = _("availability change")
        verbose_name_plural = _("availability changes")
        indexes = [
            # An address's feed and notifications: its changes, newest first.
            models.Index(fields=["address", "-changeset"], name="availabilitychange_address"),
        ]

    def __str__(self) -> str:
        return f"{self.address_id}/{self.provider_id}: {self.kind}"


class ProviderToken(models.Model):
    """A secret with which a provider member's programs write plans through the OGC API (Part 4).

    Only a SHA-256 digest is stored; the token itself is shown once when it is made.
    It acts as its user, for its provider only, and stops working when revoked,
    when the user is deactivated or when the membership ends.
    """

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="tokens")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="provider_tokens")
    name = models.CharField(_("name"), max_length=100, help_text=_("What the token is for, e.g. 'GIS export job'."))
    prefix = models.CharField(_("prefix"), max_length=12, help_text=_("The token's first characters, to recognise it."))
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["provider", "-created_at"]

    def __str__(self) -> str:
        return f"{self.provider}: {self.name} ({self.prefix}…)"
