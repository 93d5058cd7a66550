"""What residents leave with the site: subscriptions to changes (follow) and reports of errors ("Fehler melden").

Both hold personal data (an e-mail address, a free text), so they keep only what their purpose needs and are
deleted when it is served (residents/follow/services.py and residents/reports/services.py say when; the privacy
page /datenschutz/ tells residents). Secrets that a link carries (confirm, unsubscribe, a report's status page)
are stored only as their SHA-256 (residents/tokens.py): whoever reads the database cannot use the links.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from layers.models import Address, District
from rollout.models import AvailabilityChangeSet, Provider

LANGUAGES = [(code, name) for code, name in settings.LANGUAGES]
# A hex SHA-256 of a link's secret (residents/tokens.py).
HASH_LENGTH = 64


class Subscription(models.Model):
    """One e-mail address following one address or one district (Stadtbezirk or Stadtteil), double opt-in.

    Unconfirmed (``confirmed_at`` empty) it receives nothing but its confirmation; it is deleted a few days after
    it was asked for unless confirmed, and at once when unsubscribed. ``confirm_hash`` is the hash of the secret
    in the newest confirmation mail; every mail to the subscription carries its own unsubscribe secret (Delivery).
    """

    email = models.EmailField(_("e-mail address"))
    address = models.ForeignKey(
        Address, verbose_name=_("address"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    district = models.ForeignKey(
        District, verbose_name=_("district"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    language = models.CharField(_("language"), max_length=8, choices=LANGUAGES)
    created_at = models.DateTimeField(_("asked for"))
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    confirm_hash = models.CharField(max_length=HASH_LENGTH, unique=True, null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(address__isnull=False, district__isnull=True)
                | Q(address__isnull=True, district__isnull=False),
                name="subscription_one_target",
            ),
            # One subscription per e-mail address and target: asking again re-sends, never duplicates. Addresses
            # are stored in lower case (residents/follow/services.py), so the comparison is case-insensitive.
            models.UniqueConstraint(
                fields=["email", "address"], condition=Q(address__isnull=False), name="subscription_unique_address"
            ),
            models.UniqueConstraint(
                fields=["email", "district"], condition=Q(district__isnull=False), name="subscription_unique_district"
            ),
        ]
        indexes = [
            # The daily prune of unconfirmed ones.
            models.Index(fields=["created_at"], condition=Q(confirmed_at__isnull=True), name="subscription_pending"),
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.address or self.district}"

    @property
    def target(self) -> Address | District:
        return self.address if self.address_id else self.district


class Delivery(models.Model):
    """A mail sent to a subscription: the record that makes notifications once per change set, and the home of
    the unsubscribe secret that mail carries (its hash), so that every mail's own link unsubscribes."""

    class Kind(models.TextChoices):
        CONFIRMATION = "confirmation", _("confirmation request")
        NOTIFICATION = "notification", _("notification of changes")

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="deliveries")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    changeset = models.ForeignKey(
        AvailabilityChangeSet, null=True, blank=True, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(_("queued"))
    unsubscribe_hash = models.CharField(max_length=HASH_LENGTH, unique=True, editable=False)

    class Meta:
        verbose_name = _("mail sent")
        verbose_name_plural = _("mails sent")
        ordering = ["-created_at"]
        constraints = [
            # Once per change set and subscription, however often the announcing job runs.
            models.UniqueConstraint(
                fields=["subscription", "changeset"],
                condition=Q(changeset__isnull=False),
                name="delivery_once_per_changeset",
            ),
            models.CheckConstraint(
                condition=Q(kind="confirmation", changeset__isnull=True)
                | Q(kind="notification", changeset__isnull=False),
                name="delivery_kind_changeset",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subscription_id}: {self.kind} {self.changeset_id or ''}".strip()


class Report(models.Model):
    """A resident's report that the site shows something wrong at an address ("Fehler melden").

    It goes to the provider concerned (``provider``; empty: the resident did not know, so the city answers) and to
    the city's planners, who see every report. The provider concedes (and says what it will fix) or disputes (and
    says why) before ``due_at``; overdue reports are flagged to the planners once (``overdue_notified_at``). The
    resident reads the status under a private link (``status_hash``) and, if they left an e-mail address, is
    mailed the answer; the address is deleted once that mail is queued (it is needed for nothing else).
    """

    class Category(models.TextChoices):
        NOT_BOOKABLE = "not_bookable", _("Shown as bookable, but it cannot be booked")
        WRONG_STAGE = "wrong_stage", _("The stage shown is wrong")
        ADDRESS_MISSING = "address_missing", _("The address is missing")
        OTHER = "other", _("Something else")

    class Status(models.TextChoices):
        OPEN = "open", _("Waiting for an answer")
        CONCEDED = "conceded", _("Conceded")
        DISPUTED = "disputed", _("Disputed")

    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    address = models.ForeignKey(
        Address, verbose_name=_("address"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The address as the resident wrote it (a missing one), or as it was named when the report was filed (an
    # address can leave the register later; the report must still say what it was about).
    address_text = models.CharField(_("address as given"), max_length=300)
    provider = models.ForeignKey(
        Provider,
        verbose_name=_("provider"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reports",
        help_text=_("Empty: the resident did not know; the city answers."),
    )
    text = models.TextField(_("description"))
    email = models.EmailField(_("e-mail address for the answer"), blank=True)
    language = models.CharField(_("language"), max_length=8, choices=LANGUAGES)
    status_hash = models.CharField(max_length=HASH_LENGTH, unique=True, editable=False)
    created_at = models.DateTimeField(_("filed"))
    due_at = models.DateTimeField(_("answer due"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OPEN)
    answer = models.TextField(_("answer"), blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    overdue_notified_at = models.DateTimeField(_("planners told it is overdue"), null=True, blank=True)

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open", answered_at__isnull=True) | (~Q(status="open") & ~Q(answer="")),
                name="report_answer_with_status",
            ),
        ]
        indexes = [
            models.Index(fields=["provider", "-created_at"], name="report_provider"),
            models.Index(fields=["due_at"], condition=Q(status="open"), name="report_open_due"),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()}: {self.address_text}"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN
