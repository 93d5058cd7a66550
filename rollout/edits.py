"""Edits of single plan areas (OGC API Part 4), made into whole plan versions like a file upload.

A provider's program posts, replaces or deletes one area at a time. Each edit
is handed in as a submission (the received GeoJSON is kept as its file), its
features are validated by the same FeatureValidator as an uploaded file, the
new plan is the current plan with that one area added, replaced or removed,
the diff and stage transitions are checked as for a file, and a valid edit is
accepted as the provider's next version: confidential until published. An
invalid edit stays on record as an invalid submission with its report, and
nothing reaches the plan tables.
"""

from __future__ import annotations

import json
import logging
from datetime import date
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from geoportal.errors import InvalidInputError, NotFoundError
from rollout.features import PlanFeatures
from rollout.importers import ATTRIBUTES
from rollout.models import PlanArea, PlanSubmission, PlanVersion, Provider
from rollout.pipeline import finish, require, validate_file
from rollout.readers import Report
from rollout.roles import AnyUser, account, can_submit
from rollout.services import plan_version_current, submission_accept

logger = logging.getLogger(__name__)

# The attributes a stored area carries over into the next version unchanged.
CARRIED = ("key", "name", *(a for a in ATTRIBUTES if a != "quota_deadline_date"), "expected_precision")
MAX_EDIT_BYTES = 5 * 1024 * 1024


class EditConflict(InvalidInputError):
    """The edit names an area that is not in the provider's current version (HTTP 409)."""

    status = 409
    code = "Conflict"


def features_of_version(version: PlanVersion | None) -> list[dict]:
    """A stored version's areas as validated feature dicts (the shape of PlanFeatures.dicts())."""
    if version is None:
        return []
    features: dict[int, dict] = {}
    for area in PlanArea.objects.filter(version=version).order_by("key"):
        feature = {name: _plain(getattr(area, name)) for name in CARRIED}
        feature["quota_deadline_date"] = _plain(area.quota_deadline)
        feature["row"] = None
        if area.geom is not None:
            feature["geom"] = area.geom.hexewkb.decode()  # as rollout.importers gives it
        else:
            feature["addresses"] = []
        features[area.pk] = feature
    through = PlanArea.addresses.through.objects.filter(planarea__version=version)
    for area_id, address_id in through.values_list("planarea_id", "address_id").order_by("address_id"):
        features[area_id]["addresses"].append(address_id)
    return list(features.values())


def _plain(value):
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def area_of_current_version(*, provider: Provider, area_id: int) -> PlanArea:
    """The area ``area_id`` if it belongs to the provider's current version; EditConflict if to an older one."""
    area = PlanArea.objects.select_related("version").filter(pk=area_id, version__provider=provider).first()
    if area is None:
        raise NotFoundError(f"no area {area_id} of {provider}")
    current = plan_version_current(provider=provider)
    if area.version_id != current.pk:
        raise EditConflict(
            f"area {area_id} belongs to version {area.version.number}; the current version is {current.number}"
            " (read the collection again and edit the area there)",
            where="id",
        )
    return area


@transaction.atomic
def plan_area_edit(
    *, provider: Provider, by: AnyUser, action: str, document: bytes | None = None, area_id: int | None = None
) -> tuple[PlanSubmission, PlanVersion | None]:
    """Add (``create``), replace (``replace``) or remove (``delete``) one area; a valid edit becomes a version.

    ``document`` is a GeoJSON Feature (or a FeatureCollection of one) for create and replace.
    Returns the submission and, if it was valid, the new version (unpublished).
    """
    require(can_submit(by, provider), by, "you may not hand in plans for this provider")
    # One edit at a time per provider: the version it builds on must stay current until it is accepted.
    Provider.objects.select_for_update().get(pk=provider.pk)
    current = plan_version_current(provider=provider)
    replaced_key = None
    if action in ("replace", "delete"):
        replaced_key = area_of_current_version(provider=provider, area_id=area_id).key
    elif action != "create":
        raise InvalidInputError(f"unknown edit {action!r}")
    submission = PlanSubmission(
        provider=provider,
        received_at=timezone.now(),
        received_by=account(by),
    )
    report = Report()
    kept = [f for f in features_of_version(current) if f["key"] != replaced_key]
    if action == "delete":
        body = json.dumps({"type": "FeatureCollection", "features": [], "deleted": replaced_key}).encode()
        submission.original_name = f"api-delete-{replaced_key}.geojson"[:255]
        new_features = PlanFeatures.empty()
    else:
        body = _feature_collection(document)
        submission.original_name = f"api-{action}.geojson"
    submission.size = len(body)
    submission.file.save(submission.original_name, ContentFile(body), save=False)
    if action != "delete":
        new_features = validate_file(submission, mapping={}, report=report)
        _check_edit(action, new_features, kept, replaced_key, report=report)
    features = PlanFeatures.concat([PlanFeatures.from_dicts(kept), new_features])
    submission = finish(submission, report=report, features=features, current=current)
    if report.has_errors:
        return submission, None
    version = submission_accept(submission=submission, by=by)
    submission.refresh_from_db()
    return submission, version


def _feature_collection(document: bytes | None) -> bytes:
    """The posted document as a FeatureCollection of exactly one feature; 400 for anything else."""
    if not document:
        raise InvalidInputError("the request has no body; send a GeoJSON Feature", where="body")
    if len(document) > MAX_EDIT_BYTES:
        raise InvalidInputError(f"the feature is larger than {MAX_EDIT_BYTES} bytes", where="body")
    try:
        data = json.loads(document)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInputError(f"the body is not JSON: {exc}", where="body") from None
    if isinstance(data, dict) and data.get("type") == "FeatureCollection":
        features = data.get("features")
        if not isinstance(features, list) or len(features) != 1:
            raise InvalidInputError("send one feature per request", where="body")
        data = features[0]
    if not isinstance(data, dict) or data.get("type") != "Feature":
        raise InvalidInputError("the body must be a GeoJSON Feature", where="body")
    if not isinstance(data.get("properties"), dict):
        raise InvalidInputError("the feature has no properties object", where="body.properties")
    properties = dict(data["properties"])
    if data.get("id") is not None and "key" not in properties:
        # A client that only sets the feature id still names the area.
        properties["key"] = str(data["id"])
    feature = {"type": "Feature", "geometry": data.get("geometry"), "properties": properties}
    return json.dumps({"type": "FeatureCollection", "features": [feature]}).encode()


def _check_edit(action: str, new: PlanFeatures, kept: list[dict], replaced_key: str | None, *, report: Report) -> None:
    if not len(new):
        return
    feature = {"key": new.keys[0]}
    if action == "replace" and feature["key"] != replaced_key:
        if feature["key"].startswith("row-"):
            # No key in the body: the replaced area keeps its own.
            feature["key"] = new.keys[0] = replaced_key
        else:
            report.error(
                "the key of a replaced area cannot change",
                row=1,
                field="key",
                value=feature["key"],
                expected=replaced_key,
            )
    if action == "create" and feature["key"].startswith("row-"):
        report.error("a new area needs its key", row=1, field="key", expected="the provider's identifier of the area")
    if any(f["key"] == feature["key"] for f in kept):
        report.error(
            "an area with this key is already in the current plan",
            row=1,
            field="key",
            value=feature["key"],
            expected="a new key, or replace the existing area (PUT)",
        )
