"""Single-area edits (OGC API Part 4 services): each valid edit is a new, unpublished plan version."""

import json

import pytest
from django.contrib.auth.models import AnonymousUser
from pyproj import Transformer

from geoportal.errors import NotFoundError, PermissionDeniedError
from rollout.edits import EditConflict, plan_area_edit
from rollout.models import Availability, PlanArea, PlanSubmission, PlanVersion
from rollout.selectors import plan_areas_visible
from rollout.services import plan_version_publish
from tests.factories import AddressFactory, ProviderFactory, member_of, planner

TO_CRS84 = Transformer.from_crs(25832, 4326, always_xy=True)


def feature(key: str | None = "N-1", *, xmin=349000, ymin=5699000, size=500, **properties) -> bytes:
    """A GeoJSON feature (CRS84) of a square given in EPSG:25832 metres."""
    corners = [(xmin, ymin), (xmin + size, ymin), (xmin + size, ymin + size), (xmin, ymin + size), (xmin, ymin)]
    ring = [list(TO_CRS84.transform(x, y)) for x, y in corners]
    props = {"stage": "planned", "technology": "FTTH", "expected": "Q4/2031", "max_down": 1000} | properties
    if key is not None:
        props["key"] = key
    return json.dumps(
        {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]}, "properties": props}
    ).encode()


@pytest.fixture
def provider(city):
    return ProviderFactory(slug="alpha")


@pytest.fixture
def member(provider):
    return member_of(provider)


def keys(version) -> list[str]:
    return sorted(PlanArea.objects.filter(version=version).values_list("key", flat=True))


def test_creating_an_area_makes_an_unpublished_version_with_the_current_plan_plus_the_area(provider, member):
    # given a plan with one area
    _, first = plan_area_edit(provider=provider, by=member, action="create", document=feature("A"))
    # when a second area is posted
    submission, second = plan_area_edit(
        provider=provider, by=member, action="create", document=feature("B", xmin=351000)
    )
    # then version 2 holds both, is unpublished, and its submission kept the posted feature and the diff
    assert (first.number, second.number) == (1, 2)
    assert keys(second) == ["A", "B"]
    assert second.published_at is None
    assert submission.state == PlanSubmission.State.ACCEPTED
    assert submission.diff["added"] == ["B"]
    assert json.loads(submission.file.read())["features"][0]["properties"]["key"] == "B"
    # and the public sees nothing of it
    assert not plan_areas_visible(user=AnonymousUser()).exists()


def test_replacing_an_area_keeps_the_others_and_checks_the_stage_transition(provider, member):
    _, v1 = plan_area_edit(provider=provider, by=member, action="create", document=feature("A"))
    _, v2 = plan_area_edit(provider=provider, by=member, action="create", document=feature("B", xmin=351000))
    area_a = PlanArea.objects.get(version=v2, key="A")
    # when A moves on to construction (its key taken from the path, not the body)
    submission, v3 = plan_area_edit(
        provider=provider,
        by=member,
        action="replace",
        area_id=area_a.pk,
        document=feature(None, stage="im Bau", expected="2031-06-30"),
    )
    assert keys(v3) == ["A", "B"]
    assert PlanArea.objects.get(version=v3, key="A").stage == "under_construction"
    assert submission.diff["stage_changed"] == [{"key": "A", "old": "planned", "new": "under_construction"}]
    # and an area under construction cannot go back to planned: refused with the report, no version made
    refused, none = plan_area_edit(
        provider=provider,
        by=member,
        action="replace",
        area_id=PlanArea.objects.get(version=v3, key="A").pk,
        document=feature("A", stage="planned"),
    )
    assert none is None
    assert refused.state == PlanSubmission.State.INVALID
    assert "stage may not go from under_construction to planned" in [p["message"] for p in refused.report]
    assert PlanVersion.objects.filter(provider=provider).count() == 3


def test_deleting_an_area(provider, member):
    _, v1 = plan_area_edit(provider=provider, by=member, action="create", document=feature("A"))
    _, v2 = plan_area_edit(provider=provider, by=member, action="create", document=feature("B", xmin=351000))
    submission, v3 = plan_area_edit(
        provider=provider, by=member, action="delete", area_id=PlanArea.objects.get(version=v2, key="A").pk
    )
    assert keys(v3) == ["B"]
    assert submission.diff["removed"] == ["A"]
    # the old versions are history and keep their areas
    assert keys(v2) == ["A", "B"]


def test_editing_an_area_of_an_old_version_is_a_conflict(provider, member):
    _, v1 = plan_area_edit(provider=provider, by=member, action="create", document=feature("A"))
    old_area = PlanArea.objects.get(version=v1, key="A")
    plan_area_edit(provider=provider, by=member, action="create", document=feature("B", xmin=351000))
    with pytest.raises(EditConflict, match="belongs to version 1; the current version is 2"):
        plan_area_edit(provider=provider, by=member, action="delete", area_id=old_area.pk)


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (feature("A", stage="gibt es nicht"), "unknown stage"),
        (feature("A", expected="Q1/2020"), "expected lies in the past"),
        (feature("A", xmin=400000), "feature lies outside the city"),
        (feature(None), "a new area needs its key"),
    ],
)
def test_invalid_features_are_refused_with_the_file_validators_report(provider, member, document, message):
    submission, version = plan_area_edit(provider=provider, by=member, action="create", document=document)
    assert version is None
    assert submission.state == PlanSubmission.State.INVALID
    assert message in [p["message"] for p in submission.report]
    assert not PlanArea.objects.exists()


def test_a_duplicate_key_is_refused(provider, member):
    plan_area_edit(provider=provider, by=member, action="create", document=feature("A"))
    submission, version = plan_area_edit(
        provider=provider, by=member, action="create", document=feature("A", xmin=351000)
    )
    assert version is None
    assert "an area with this key is already in the current plan" in [p["message"] for p in submission.report]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "no body"),
        (b"{not json", "not JSON"),
        (b'{"type": "Point", "coordinates": [7, 51]}', "must be a GeoJSON Feature"),
        (b'{"type": "FeatureCollection", "features": []}', "one feature per request"),
    ],
)
def test_malformed_bodies_are_bad_input_and_store_nothing(provider, member, body, message):
    from geoportal.errors import InvalidInputError

    with pytest.raises(InvalidInputError, match=message):
        plan_area_edit(provider=provider, by=member, action="create", document=body)
    assert not PlanSubmission.objects.exists()


def test_only_the_providers_members_and_planners_edit(provider):
    other = member_of(ProviderFactory(slug="beta"))
    with pytest.raises(PermissionDeniedError):
        plan_area_edit(provider=provider, by=other, action="create", document=feature("A"))
    _, version = plan_area_edit(provider=provider, by=planner(), action="create", document=feature("A"))
    assert version.number == 1


def test_an_unknown_area_is_not_found(provider, member):
    with pytest.raises(NotFoundError):
        plan_area_edit(provider=provider, by=member, action="delete", area_id=999999)


def test_address_list_areas_survive_an_edit_of_another_area(provider, member):
    # given a published version with an address-list area (as from a CSV with address keys)
    address = AddressFactory(street="Schloßstraße", house_number=1, postcode="45468")
    _, v1 = plan_area_edit(provider=provider, by=member, action="create", document=feature("A"))
    version = PlanVersion.objects.create(provider=provider, number=2, accepted_at=v1.accepted_at)
    listed = PlanArea.objects.create(version=version, key="L", stage="bookable", technology="ftth")
    listed.addresses.add(address)
    plan_version_publish(version=version, by=planner())
    # when another area is added
    _, v3 = plan_area_edit(provider=provider, by=member, action="create", document=feature("B", xmin=351000))
    # then the address list is carried over, and availability follows once v3 is published
    assert list(PlanArea.objects.get(version=v3, key="L").addresses.all()) == [address]
    plan_version_publish(version=v3, by=planner())
    assert Availability.objects.filter(address=address, version=v3, stage="bookable").exists()
