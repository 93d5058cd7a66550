"""The steps every plan change goes through, whether it comes as a file (rollout.services) or as a
single-area edit (rollout.edits): validate, stage, check stage transitions, diff, record.

``validate_file`` reads the submission's kept file into validated features (by column,
rollout.features.PlanFeatures) and a report. ``finish`` records the outcome: a valid plan's features are
COPYed into the staging table, its stage transitions checked and its diff computed in SQL against that
table and the current version; an invalid one (or one whose transitions fail) keeps only its report, and
its staged rows are rolled back with their savepoint. Nothing here touches the plan tables.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Protocol

import shapely
from django.db import transaction
from django.db.models.fields.files import FieldFile

from geoportal.errors import ImportFailed, PermissionDeniedError
from layers.models import District
from rollout.diff import staged_diff
from rollout.features import PlanFeatures
from rollout.importers import FeatureValidator, ewkt, resolve_mapping
from rollout.models import PlanSubmission, PlanVersion
from rollout.readers import RawTable, Report, read_plan_file
from rollout.roles import AnyUser
from rollout.stages import stage_transition_allowed
from rollout.staging import features_stage

logger = logging.getLogger(__name__)

# Up to this many validated features are also kept as JSON on the submission (PlanSubmission.features),
# which the pages and tests read directly; larger files are read back from the staging table.
FEATURES_JSON_MAX = 5000


def require(allowed: bool, by: AnyUser, message: str) -> None:
    """Refuse (403) unless ``allowed``; ``by=None`` is the operator on the command line and may do anything."""
    if by is not None and not allowed:
        raise PermissionDeniedError(message)


def city_boundary() -> shapely.Geometry:
    city = District.objects.filter(level=District.Level.CITY).first()
    if city is None:
        raise ImportFailed("the city boundary is not loaded (manage.py load_city)")
    return shapely.from_wkb(bytes(city.geom.wkb))


def validate_file(submission: PlanSubmission, *, mapping: dict, report: Report) -> PlanFeatures:
    """The validated features of the submission's kept file (problems in ``report``)."""
    table = read_kept_file(submission, report=report)
    if table is None:
        return PlanFeatures.empty()
    return validate_table(table, mapping=mapping, report=report)


def read_kept_file(kept: KeptFile, *, report: Report) -> RawTable | None:
    """The rows of an upload kept on a model (``kept.file``, ``kept.original_name``: a plan submission, a
    roadworks import), read by rollout.readers; None when it cannot be read or holds no feature (reported)."""
    suffix = Path(kept.original_name).suffix
    with tempfile.TemporaryDirectory() as tmp:
        path = _local_path(kept)
        if path is None or path.suffix.lower() != suffix.lower():
            # A local copy: GDAL reads paths, and storages need not be local disks.
            path = Path(tmp) / f"plan{suffix}"
            with kept.file.open("rb") as source, path.open("wb") as target:
                for chunk in source.chunks():
                    target.write(chunk)
        # The reader loads every row into memory: the temporary copy is not needed after it.
        table = read_plan_file(path, original_name=kept.original_name, report=report)
    if table is None:
        return None
    if not len(table):
        report.error("file holds no features", field="file", expected="at least one feature")
        return None
    return table


class KeptFile(Protocol):
    file: FieldFile
    original_name: str


def _local_path(kept: KeptFile) -> Path | None:
    """The kept file's path when the storage is a local disk (GDAL reads it there: no second copy of the file)."""
    try:
        return Path(kept.file.path)
    except NotImplementedError:  # storages without local files
        return None


def validate_table(table: RawTable, *, mapping: dict, report: Report) -> PlanFeatures:
    columns = resolve_mapping(table.columns, mapping)
    if "crs" in mapping:
        columns["crs"] = mapping["crs"]
    validator = FeatureValidator(table, mapping=columns, city=city_boundary(), report=report)
    return validator.run()


def finish(
    submission: PlanSubmission,
    *,
    report: Report,
    features: PlanFeatures,
    current: PlanVersion | None,
) -> PlanSubmission:
    """Record the submission: valid features staged and diffed against ``current``; invalid ones only reported."""
    submission.features, submission.diff, submission.feature_count = [], {}, 0
    if len(features):
        # Staged and diffed in a savepoint even when the file already has errors, so that its stage
        # transitions are reported too; the staged rows of an invalid plan are rolled back with it.
        submission.state = PlanSubmission.State.RECEIVED
        submission.save()  # the staged rows refer to it
        with transaction.atomic():
            features_stage(submission=submission, features=features)
            diff, stage_changes = staged_diff(submission=submission, version=current, keys=features.keys)
            check_transitions(stage_changes, report=report)
            if report.has_errors:
                transaction.set_rollback(True)
                submission.own_table = False  # its table is rolled back with the savepoint
            else:
                submission.diff = diff
                submission.feature_count = len(features)
                if len(features) <= FEATURES_JSON_MAX:
                    submission.features = [
                        {**f, "geom": ewkt(f["geom"])} if f.get("geom") else f for f in features.dicts()
                    ]
    submission.report = report.as_list()
    submission.state = PlanSubmission.State.INVALID if report.has_errors else PlanSubmission.State.RECEIVED
    submission.save()
    logger.info("submission %s of %s: %s", submission.pk, submission.provider.slug, submission.state)
    return submission


def check_transitions(stage_changes: list[dict], *, report: Report) -> None:
    """Report stage changes (``{"row", "key", "old", "new"}``) that the transition table does not allow."""
    for change in stage_changes:
        if not stage_transition_allowed(old=change["old"], new=change["new"]):
            report.error(
                f"stage may not go from {change['old']} to {change['new']}",
                row=change["row"],
                field="stage",
                value=change["new"],
            )
