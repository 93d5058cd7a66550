"""Rollout collections: confidential plan versions never leak, at the provider and over HTTP.

Provider A has a published version 1 (area "public") and an accepted, unpublished
version 2 (area "secret", elsewhere). Anonymous users and members of provider B
see only version 1; A's members and the city's planners see version 2.
"""

import json
from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.gis.geos import Point
from django.utils import timezone
from pygeoapi.provider.base import ProviderItemNotFoundError

from layers.models import SRID, District
from ogc.context import RequestState, state_reset, state_set
from ogc.crs import EPSG_25832, bbox_geometry
from ogc.providers import SelectorProvider
from rollout.availability import availability_recompute
from tests.factories import (
    AddressFactory,
    DistrictFactory,
    PlanAreaFactory,
    PlanVersionFactory,
    ProviderFactory,
    member_of,
    planner,
    square,
)

pytestmark = pytest.mark.usefixtures("city")

PUBLIC_BOX = (349000, 5699000, 349500, 5699500)
SECRET_BOX = (352000, 5702000, 352500, 5702500)


@pytest.fixture
def plans(db):
    a, b = ProviderFactory(slug="anbieter-a"), ProviderFactory(slug="anbieter-b")
    v1 = PlanVersionFactory(provider=a, number=1, published_at=timezone.now())
    v2 = PlanVersionFactory(provider=a, number=2)
    public = PlanAreaFactory(
        version=v1,
        key="public",
        geom=square(*PUBLIC_BOX),
        stage="planned",
        expected_date="2030-01-01",
        expected_precision="quarter",
    )
    secret = PlanAreaFactory(version=v2, key="secret", geom=square(*SECRET_BOX), stage="planned",
                             expected_date="2031-01-01", expected_precision="quarter")  # fmt: skip
    inside_public = AddressFactory(geom=Point(349250, 5699250, srid=SRID))
    inside_secret = AddressFactory(geom=Point(352250, 5702250, srid=SRID))
    availability_recompute()
    return {
        "a": a,
        "public": public,
        "secret": secret,
        "inside_public": inside_public,
        "inside_secret": inside_secret,
        "users": {
            "anonymous": AnonymousUser(),
            "other member": member_of(b),
            "own member": member_of(a),
            "planner": planner(),
        },
    }


SEES_SECRET = {"anonymous": False, "other member": False, "own member": True, "planner": True}


@pytest.fixture
def as_user():
    tokens = []

    def _set(user, **kwargs):
        tokens.append(state_set(RequestState(user=user, **kwargs)))

    yield _set
    for token in reversed(tokens):
        state_reset(token)


def provider(collection: str) -> SelectorProvider:
    return SelectorProvider({"name": "ogc.providers.SelectorProvider", "type": "feature", "data": collection})


def keys(result: dict) -> set[str]:
    return {f["properties"]["key"] for f in result["features"]}


@pytest.mark.parametrize("who", list(SEES_SECRET))
def test_provider_shows_the_unpublished_version_only_to_own_members_and_planners(plans, as_user, who):
    as_user(plans["users"][who])
    areas = provider("rollout-areas")

    items = areas.query(limit=10)
    hits = areas.query(resulttype="hits")
    as_user(plans["users"][who], bbox=bbox_geometry(list(SECRET_BOX), EPSG_25832))
    in_secret_box = areas.query(limit=10)

    if SEES_SECRET[who]:
        assert keys(items) == {"secret"}  # the newest version they may read replaces version 1
        assert items["numberMatched"] == hits["numberMatched"] == 1
        assert keys(in_secret_box) == {"secret"}
        assert items["features"][0]["properties"]["published"] is False
        assert items["features"][0]["properties"]["version_number"] == 2
    else:
        assert keys(items) == {"public"}
        assert items["numberMatched"] == hits["numberMatched"] == 1
        assert in_secret_box["features"] == []
        assert in_secret_box["numberMatched"] == 0
        assert items["features"][0]["properties"]["published"] is True


@pytest.mark.parametrize("who", list(SEES_SECRET))
def test_provider_single_unpublished_area_is_not_found_for_outsiders(plans, as_user, who):
    as_user(plans["users"][who])
    areas = provider("rollout-areas")
    if SEES_SECRET[who]:
        assert areas.get(plans["secret"].pk)["properties"]["key"] == "secret"
    else:
        with pytest.raises(ProviderItemNotFoundError):
            areas.get(plans["secret"].pk)


def test_provider_datetime_filters_on_the_expected_date(plans, as_user):
    as_user(plans["users"]["planner"], end=datetime(2030, 12, 31, tzinfo=UTC), has_datetime=True)
    assert provider("rollout-areas").query(limit=10)["features"] == []  # the planner's area: 2031
    as_user(AnonymousUser(), end=datetime(2030, 12, 31, tzinfo=UTC), has_datetime=True)
    assert keys(provider("rollout-areas").query(limit=10)) == {"public"}


def _login(client, plans, who):
    if who != "anonymous":
        client.force_login(plans["users"][who])


def _get(client, url: str) -> tuple[int, dict]:
    response = client.get(url)
    return response.status_code, json.loads(response.content)


@pytest.mark.parametrize("who", list(SEES_SECRET))
def test_http_items_item_count_and_bbox_keep_the_unpublished_version_confidential(client, plans, who):
    _login(client, plans, who)
    secret = plans["secret"].pk
    bbox = ",".join(str(v) for v in SECRET_BOX)

    _, items = _get(client, "/ogc/collections/rollout-areas/items?limit=50")
    _, hits = _get(client, "/ogc/collections/rollout-areas/items?resulttype=hits")
    _, boxed = _get(client, f"/ogc/collections/rollout-areas/items?bbox={bbox}&bbox-crs={EPSG_25832.uri}")
    _, by_key = _get(client, "/ogc/collections/rollout-areas/items?key=secret")
    status, _ = _get(client, f"/ogc/collections/rollout-areas/items/{secret}")

    seen = {f["properties"]["key"] for f in items["features"]}
    if SEES_SECRET[who]:
        assert seen == {"secret"}
        assert (hits["numberMatched"], boxed["numberMatched"], by_key["numberMatched"]) == (1, 1, 1)
        assert status == 200
    else:
        assert seen == {"public"}
        assert "secret" not in json.dumps(items)
        assert (hits["numberMatched"], boxed["numberMatched"], by_key["numberMatched"]) == (1, 0, 0)
        assert status == 404


@pytest.mark.parametrize("who", list(SEES_SECRET))
def test_http_availability_is_published_data_for_everybody(client, plans, who):
    _login(client, plans, who)

    _, items = _get(client, "/ogc/collections/availability/items?limit=50")

    assert items["numberMatched"] == 1
    feature = items["features"][0]
    assert feature["properties"]["address_id"] == plans["inside_public"].pk
    assert feature["properties"]["provider_slug"] == "anbieter-a"
    assert feature["properties"]["stage"] == "planned"
    assert feature["properties"]["expected_date"] == "2030-01-01"
    assert feature["geometry"]["type"] == "Point"


def test_http_availability_bbox_uses_the_address_position(client, plans):
    p = plans["inside_public"].geom
    near = f"{p.x - 10},{p.y - 10},{p.x + 10},{p.y + 10}"
    far = "345000,5695000,345100,5695100"

    _, hit = _get(client, f"/ogc/collections/availability/items?bbox={near}&bbox-crs={EPSG_25832.uri}")
    _, miss = _get(client, f"/ogc/collections/availability/items?bbox={far}&bbox-crs={EPSG_25832.uri}")

    assert hit["numberMatched"] == 1
    assert miss["numberMatched"] == 0


def test_http_spatial_filters_use_each_collections_geometry(client, plans):
    """S_INTERSECTS on availability means the address position, on rollout areas the drawn shape,
    address-list areas included, as bbox does."""
    p = plans["inside_public"].geom
    near = f"BBOX({p.x - 10},{p.y - 10},{p.x + 10},{p.y + 10})"
    crs = f"&filter-crs={EPSG_25832.uri}"
    _, hit = _get(client, f"/ogc/collections/availability/items?filter=S_INTERSECTS(geometry,{near}){crs}")
    assert hit["numberMatched"] == 1
    listed = PlanAreaFactory(version=plans["public"].version, key="listed", geom=None, stage="planned")
    listed.addresses.set([plans["inside_public"]])
    _, areas = _get(client, f"/ogc/collections/rollout-areas/items?filter=S_INTERSECTS(geometry,{near}){crs}")
    assert {f["properties"]["key"] for f in areas["features"]} == {"public", "listed"}
    _, none = _get(client, f"/ogc/collections/rollout-areas/items?filter=S_DISJOINT(geometry,{near}){crs}")
    assert none["numberMatched"] == 0


def test_http_bad_date_in_a_property_filter_is_a_400(client, plans):
    response = client.get("/ogc/collections/rollout-areas/items?expected_date=2030-13-45")
    assert response.status_code == 400
    assert "expected_date" in response.json()["description"]


def test_address_list_area_is_drawn_around_its_addresses(client, plans, as_user):
    listed = [AddressFactory(geom=Point(346000 + 100 * i, 5696000, srid=SRID)) for i in range(3)]
    area = PlanAreaFactory(version=plans["public"].version, key="list", geom=None, stage="bookable")
    area.addresses.set(listed)
    as_user(AnonymousUser(), crs=EPSG_25832)

    feature = provider("rollout-areas").get(area.pk)

    assert feature["properties"]["address_list"] is True
    assert feature["geometry"]["type"] == "MultiPolygon"
    assert len(feature["geometry"]["coordinates"]) == 3  # one circle per address, nothing between
    xs = [x for polygon in feature["geometry"]["coordinates"] for x, _ in polygon[0]]
    assert 345985 < min(xs) < 345995
    assert 346205 < max(xs) < 346215


def test_district_statistics_count_published_plans_per_district(client, plans):
    borough = DistrictFactory(level=District.Level.BOROUGH, geom=square(348000, 5698000, 354000, 5704000))
    quarter = DistrictFactory(
        level=District.Level.QUARTER, parent=borough, geom=square(348000, 5698000, 350000, 5700000)
    )
    other = DistrictFactory(level=District.Level.QUARTER, parent=borough, geom=square(352000, 5702000, 354000, 5704000))
    for address, district, homes in ((plans["inside_public"], quarter, 6), (plans["inside_secret"], other, 4)):
        address.district, address.homes = district, homes
        address.save()
    fibre = PlanVersionFactory(provider=ProviderFactory(), number=1, published_at=timezone.now())
    PlanAreaFactory(version=fibre, geom=square(*SECRET_BOX), stage="bookable", technology="ftth")
    availability_recompute()

    _, items = _get(client, "/ogc/collections/district-statistics/items?limit=50")

    rows = {f["properties"]["code"]: f["properties"] for f in items["features"]}
    assert {k: rows[quarter.code][k] for k in ("address_count", "homes", "homes_fibre", "homes_planned")} == {
        "address_count": 1, "homes": 6, "homes_fibre": 0, "homes_planned": 6,
    }  # fmt: skip
    assert rows[other.code]["homes_fibre"] == 4
    assert rows[other.code]["homes_planned"] == 0  # version 2's plan there is not published
    assert rows[other.code]["fibre_share_percent"] == 100.0
    assert rows[borough.code]["address_count"] == 2
    assert rows[borough.code]["homes"] == 10
    assert rows[borough.code]["fibre_share_percent"] == 40.0
    assert rows[borough.code]["provider_count"] == 2
