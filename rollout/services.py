"""Writes of the rollout domain: receive a provider's file, accept it as a plan version, publish it.

``by`` is the acting user; ``None`` stands for the operator on the command
line (manage.py import_plan) and is never passed by views. Nothing from an
invalid file reaches the plan tables: its submission keeps the file and the
report, and that is all.
"""

from __future__ import annotations

import gc
import logging
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from geoportal.errors import ImportFailed, InvalidInputError
from rollout.availability import availability_recompute
from rollout.features import PlanFeatures
from rollout.importers import CANONICAL_FIELDS
from rollout.models import FieldMapping, PlanSubmission, PlanVersion, Provider
from rollout.pipeline import finish, require, validate_file
from rollout.readers import Report
from rollout.roles import AnyUser, account, can_accept, can_publish, can_submit
from rollout.staging import staged_areas_accept, staged_drop

logger = logging.getLogger(__name__)

__all__ = [
    "availability_recompute",
    "field_mapping_save",
    "plan_version_publish",
    "submission_accept",
    "submission_create",
    "submission_reject",
    "submissions_staging_prune",
]


def plan_version_current(*, provider: Provider) -> PlanVersion | None:
    """The provider's newest accepted version, published or not (internal: services compare against it)."""
    return PlanVersion.objects.filter(provider=provider).order_by("-number").first()


@transaction.atomic
def submission_create(*, provider: Provider, file: File, by: AnyUser, mapping: dict | None = None) -> PlanSubmission:
    """Keep the file, validate it and diff it against the current plan. Invalid files end in state ``invalid``."""
    require(can_submit(by, provider), by, "you may not hand in plans for this provider")
    name = Path(file.name or "upload").name
    submission = PlanSubmission(
        provider=provider,
        original_name=name,
        size=file.size or 0,
        received_at=timezone.now(),
        received_by=account(by),
    )
    report = Report()
    if submission.size > settings.PLAN_UPLOAD_MAX_BYTES:
        # Too big to keep: record the attempt without storing the file.
        report.error(
            "file too large", field="file", value=submission.size, expected=f"≤ {settings.PLAN_UPLOAD_MAX_BYTES}"
        )
        return finish(submission, report=report, features=PlanFeatures.empty(), current=None)
    submission.file.save(name, file, save=False)
    mapping = _mapping_for(provider, mapping)
    submission.mapping = mapping
    with _gc_paused():
        features = validate_file(submission, mapping=mapping, report=report)
        return finish(submission, report=report, features=features, current=plan_version_current(provider=provider))


@contextmanager
def _gc_paused():
    """Pause the cyclic garbage collector while a file's rows are turned into millions of small objects.

    Those objects hold no reference cycles (reference counting frees them), but every collection of the
    oldest generation walks all of them again: with a 100,000-feature plan that was ~40 % of validation.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _mapping_for(provider: Provider, mapping: dict | None) -> dict:
    """Use and remember a new mapping; otherwise the one saved last time."""
    if mapping:
        unknown = set(mapping) - set(CANONICAL_FIELDS) - {"crs"}
        if unknown:
            raise InvalidInputError(f"unknown mapping fields: {', '.join(sorted(unknown))}", where="mapping")
        FieldMapping.objects.update_or_create(provider=provider, defaults={"mapping": mapping})
        return mapping
    saved = FieldMapping.objects.filter(provider=provider).first()
    return saved.mapping if saved else {}


@transaction.atomic
def submission_accept(*, submission: PlanSubmission, by: AnyUser) -> PlanVersion:
    """Make a valid submission the provider's next plan version (confidential until published)."""
    # The validated features stay in the database: staged_areas_accept moves them from the staging table.
    submission = (
        PlanSubmission.objects.select_for_update().select_related("provider").defer("features").get(pk=submission.pk)
    )
    provider = submission.provider
    require(can_accept(by, provider), by, "you may not accept plans of this provider")
    if submission.state != PlanSubmission.State.RECEIVED:
        raise InvalidInputError(f"only received, valid submissions can be accepted (this one is {submission.state})")
    # Lock the provider row so two acceptances cannot draw the same version number.
    Provider.objects.select_for_update().get(pk=provider.pk)
    number = (PlanVersion.objects.filter(provider=provider).aggregate(n=Max("number"))["n"] or 0) + 1
    now = timezone.now()
    actor = account(by)
    version = PlanVersion.objects.create(
        provider=provider, number=number, submission=submission, accepted_at=now, accepted_by=actor
    )
    stored = staged_areas_accept(submission=submission, version_id=version.pk)
    if stored != submission.feature_count:
        # The staging table is unlogged: after a database crash its rows are gone (rollout.models.PlanAreaStaging).
        raise ImportFailed(
            f"the validated rows of {submission.original_name} are no longer there ({stored} of "
            f"{submission.feature_count}); please hand in the file again"
        )
    submission.state, submission.decided_at, submission.decided_by = PlanSubmission.State.ACCEPTED, now, actor
    submission.save(update_fields=["state", "decided_at", "decided_by"])
    # Older pending files were diffed against a plan that no longer is current.
    PlanSubmission.objects.filter(
        provider=provider, state=PlanSubmission.State.RECEIVED, received_at__lt=submission.received_at
    ).update(state=PlanSubmission.State.SUPERSEDED, decided_at=now)
    # A new confidential version: its provider's members and planners see it in tiles now.
    return version


@transaction.atomic
def submission_reject(*, submission: PlanSubmission, by: AnyUser, reason: str) -> PlanSubmission:
    require(can_publish(by, submission.provider), by, "only the city rejects submissions")
    if submission.state != PlanSubmission.State.RECEIVED:
        raise InvalidInputError(f"only received submissions can be rejected (this one is {submission.state})")
    submission.state, submission.decision_note = PlanSubmission.State.REJECTED, reason
    submission.decided_at = timezone.now()
    submission.decided_by = account(by)
    submission.save(update_fields=["state", "decision_note", "decided_at", "decided_by"])
    return submission


@dataclass(frozen=True)
class StagingPruned:
    submissions: int
    bytes: int


def submissions_staging_prune(*, keep_days: int | None = None, now: datetime | None = None) -> StagingPruned:
    """Drop the staged features of files that were not accepted (rejected or superseded) more than ``keep_days``
    (settings.PLAN_STAGING_KEEP_DAYS) days ago: a large file's table of its own, a small one's rows in the
    shared staging table. What a submission shows stays: its file, report and diff (small files also keep
    their features as JSON); only the map of a large file's added and changed areas goes. One transaction
    per submission, so a run that stops halfway leaves every submission either whole or pruned."""
    keep_days = settings.PLAN_STAGING_KEEP_DAYS if keep_days is None else keep_days
    if keep_days < 0:
        raise InvalidInputError(f"days to keep must be 0 or more, not {keep_days}", where="keep_days")
    now = now or timezone.now()
    ended = PlanSubmission.objects.filter(
        state__in=(PlanSubmission.State.REJECTED, PlanSubmission.State.SUPERSEDED),
        decided_at__lt=now - timedelta(days=keep_days),
        staged_dropped_at__isnull=True,
    )
    count = size = 0
    for pk in ended.order_by("pk").values_list("pk", flat=True):
        with transaction.atomic():
            submission = PlanSubmission.objects.select_for_update().filter(pk=pk, staged_dropped_at__isnull=True)
            submission = submission.defer("features").first()
            if submission is None:  # pruned meanwhile by another run
                continue
            size += staged_drop(submission=submission)
            submission.staged_dropped_at = now
            submission.save(update_fields=["staged_dropped_at"])
            count += 1
    if count:
        logger.info("staged features of %s submissions not accepted dropped (%s bytes)", count, size)
    return StagingPruned(submissions=count, bytes=size)


@transaction.atomic
def plan_version_publish(*, version: PlanVersion, by: AnyUser, recompute: bool = True) -> PlanVersion:
    """Make a version public and recompute the public availability table.

    ``recompute=False`` is for callers that publish several versions in one transaction
    (the demo generator) and call ``availability_recompute`` once at the end.
    """
    version = PlanVersion.objects.select_for_update().select_related("provider").get(pk=version.pk)
    require(can_publish(by, version.provider), by, "you may not publish plans of this provider")
    if version.published_at is not None:
        raise InvalidInputError(f"{version} is already published")
    newer = PlanVersion.objects.filter(provider=version.provider, number__gt=version.number, published_at__isnull=False)
    if newer.exists():
        raise InvalidInputError(f"a newer version of {version.provider} is already published")
    version.published_at = timezone.now()
    version.published_by = account(by)
    version.save(update_fields=["published_at", "published_by"])
    if recompute:
        availability_recompute(cause=version)
    return version


@transaction.atomic
def field_mapping_save(*, provider: Provider, mapping: dict[str, str], by: AnyUser) -> FieldMapping | None:
    """Save (or, when empty, delete) the provider's column mapping used for its next files."""
    require(can_submit(by, provider), by, "you may not change this provider's field mapping")
    unknown = set(mapping) - set(CANONICAL_FIELDS) - {"crs"}
    if unknown:
        raise InvalidInputError(f"unknown mapping fields: {', '.join(sorted(unknown))}", where="mapping")
    cleaned = {field: column.strip() for field, column in mapping.items() if column and column.strip()}
    if not cleaned:
        FieldMapping.objects.filter(provider=provider).delete()
        return None
    saved, _created = FieldMapping.objects.update_or_create(provider=provider, defaults={"mapping": cleaned})
    return saved
