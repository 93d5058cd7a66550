"""The residents' layers in the OGC API: address status (best stage per address), streets and water, as
features, vector tiles and downloads; published data only, with an unpublished plan of a second provider."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.gis.geos import LineString, MultiLineString, MultiPolygon, Point, Polygon
from django.utils import timezone

from layers import services
from layers.models import SRID, Street, Water
from rollout.selectors import address_status
from rollout.services import availability_recompute, plan_version_publish
from tests.factories import (
    AddressFactory,
    CityFactory,
    PlanAreaFactory,
    PlanVersionFactory,
    ProviderFactory,
    planner,
)
from tests.ogc.test_tiles import get_tile, tile_of, tile_url

X, Y = 350_000.0, 5_700_000.0


@pytest.fixture(autouse=True)
def _own_tile_cache(own_tile_cache):
    """An empty shared tile cache per test (tests/ogc/conftest.py)."""


@pytest.fixture
def world(db):
    """Four addresses; "fast" builds and offers at some, "slow" plans and cancelled at some, and "secret" has an
    unpublished plan over all of them, with the highest stage and bandwidth there are."""
    CityFactory()
    services.layer_catalogue_load(path=services.REPO / "data" / "layers.json")
    now = timezone.now()
    published = {"accepted_at": now - timedelta(days=3), "published_at": now - timedelta(days=2)}
    both, cancelled_only, fast_only, nothing = (
        AddressFactory(street="Schloßstraße", house_number=n, geom=Point(X + 40 * n, Y, srid=SRID))
        for n in (1, 2, 3, 4)
    )
    fast = PlanVersionFactory(provider=ProviderFactory(slug="fast"), number=1, **published)
    slow = PlanVersionFactory(provider=ProviderFactory(slug="slow"), number=1, **published)
    secret = PlanVersionFactory(provider=ProviderFactory(slug="secret"), number=1, accepted_at=now)

    def area(version, addresses, **fields):
        area = PlanAreaFactory(version=version, geom=None, **fields)
        area.addresses.set(addresses)

    area(fast, [both, fast_only], stage="bookable", max_down_mbits=1000)
    area(slow, [both], stage="planned", max_down_mbits=2000)
    area(slow, [cancelled_only], stage="cancelled", cancel_reason="zu wenig Nachfrage", max_down_mbits=500)
    area(secret, [both, cancelled_only, fast_only, nothing], stage="bookable", max_down_mbits=10_000)
    availability_recompute()
    return {"both": both, "cancelled": cancelled_only, "fast": fast_only, "nothing": nothing, "secret": secret}


def test_address_status_is_the_best_published_stage_across_providers(world):
    rows = {a.pk: a for a in address_status(user=AnonymousUser())}

    both, cancelled, fast = rows[world["both"].pk], rows[world["cancelled"].pk], rows[world["fast"].pk]
    # bookable (fast) beats planned (slow); two providers with live plans; the best download is the planned 2000
    assert (both.stage, both.provider_count, both.max_down_mbits) == ("bookable", 2, 2000)
    # a cancelled plan is shown where nothing else is, with no provider and no bandwidth to promise
    assert (cancelled.stage, cancelled.provider_count, cancelled.max_down_mbits) == ("cancelled", 0, None)
    assert (fast.stage, fast.provider_count, fast.max_down_mbits) == ("bookable", 1, 1000)
    # the unpublished plan shows nowhere: not its address, not its stage or bandwidth
    assert world["nothing"].pk not in rows
    assert max(r.max_down_mbits or 0 for r in rows.values()) == 2000


def test_address_status_is_published_data_also_for_planners(world):
    # Planners preview unpublished plans elsewhere (availability_preview); the residents' layer is the public one.
    seen = {a.pk: a.max_down_mbits for a in address_status(user=planner())}
    assert seen == {a.pk: a.max_down_mbits for a in address_status(user=AnonymousUser())}


def test_address_status_tile_draws_one_point_per_address_in_its_best_stage(client, world, tmp_path):
    z, row, col = tile_of(X, Y, 16)

    response, features = get_tile(client, "address-status", z, row, col, tmp_path)

    assert len(features) == 3
    stages = sorted(features["stage"])
    assert stages == ["bookable", "bookable", "cancelled"]
    assert set(features["street"]) == {"Schloßstraße"}
    assert sorted(features["providers"].astype(int)) == [0, 1, 2]
    assert response["Cache-Control"].startswith("public")


def test_an_unpublished_plan_reaches_the_status_tiles_once_published(client, world, tmp_path):
    z, row, col = tile_of(X, Y, 16)
    _, before = get_tile(client, "address-status", z, row, col, tmp_path / "before")
    assert len(before) == 3

    plan_version_publish(version=world["secret"], by=planner())
    availability_recompute()

    _, after = get_tile(client, "address-status", z, row, col, tmp_path / "after")
    assert len(after) == 4
    assert set(after["stage"]) == {"bookable"}
    assert 10_000 in set(after["max_down_mbits"].astype(int))


def test_address_status_collection_serves_features_with_filters(client, world):
    body = client.get("/ogc/collections/address-status/items", {"f": "json", "stage": "bookable"}).json()

    assert body["numberMatched"] == 2
    assert {f["properties"]["provider_count"] for f in body["features"]} == {1, 2}
    assert {f["id"] for f in body["features"]} == {world["both"].pk, world["fast"].pk}
    everything = client.get("/ogc/collections/address-status/items", {"f": "json"}).json()
    assert world["nothing"].pk not in {f["id"] for f in everything["features"]}


@pytest.fixture
def context(db):
    CityFactory()
    services.layer_catalogue_load(path=services.REPO / "data" / "layers.json")
    Street.objects.create(
        name="Schloßstraße", postcode="45468", geom=MultiLineString(LineString((X - 200, Y), (X + 200, Y)), srid=SRID)
    )
    Water.objects.create(
        name="Ruhr", kind="river", geom=MultiLineString(LineString((X, Y - 300), (X, Y + 300)), srid=SRID)
    )
    Water.objects.create(
        name="Entenpfuhl",
        kind="lake",
        geom=MultiPolygon(Polygon.from_bbox((X + 50, Y + 50, X + 150, Y + 120)), srid=SRID),
    )


def test_street_and_water_tiles_hold_lines_and_areas_with_their_names(client, context, tmp_path):
    z, row, col = tile_of(X, Y, 15)

    _, streets = get_tile(client, "streets", z, row, col, tmp_path / "s")
    _, water = get_tile(client, "water", z, row, col, tmp_path / "w")

    assert list(streets["name"]) == ["Schloßstraße"]
    assert set(streets.geometry.geom_type) <= {"LineString", "MultiLineString"}
    assert dict(zip(water["name"], water.geometry.geom_type, strict=True)) == {
        "Ruhr": "LineString",
        "Entenpfuhl": "Polygon",
    }
    assert set(water["kind"]) == {"river", "lake"}


def test_context_tilesets_start_at_city_zoom(client, context):
    for collection in ("streets", "water"):
        tileset = client.get(f"/ogc/collections/{collection}/tiles/WebMercatorQuad").json()
        assert tileset["tileMatrixSetLimits"][0]["tileMatrix"] == "10", collection
    status = client.get("/ogc/collections/address-status/tiles/WebMercatorQuad").json()
    assert status["tileMatrixSetLimits"][0]["tileMatrix"] == "13"
    assert client.get(tile_url("streets", 9, 171, 265)).status_code == 404


def test_streets_and_water_are_downloads_with_licence(client, context, settings, tmp_path):
    settings.DOWNLOAD_CACHE_DIR = tmp_path
    page = client.get("/daten/").content.decode()
    for slug in ("strassen", "gewaesser", "ausbaustand"):
        assert f'href="/daten/{slug}.gpkg"' in page, slug
    streets = client.get("/daten/strassen.geojson")
    body = b"".join(streets.streaming_content).decode()
    assert "Schloßstraße" in body
    assert "Demodaten des Glasfaserportals" in body
    water = client.get("/daten/gewaesser.csv")
    text = b"".join(water.streaming_content).decode()
    assert "MULTIPOLYGON" in text
    assert "MULTILINESTRING" in text


def test_street_and_water_collections_serve_features(client, context):
    body = client.get("/ogc/collections/streets/items", {"f": "json"}).json()
    assert body["numberMatched"] == 1
    assert body["features"][0]["geometry"]["type"] == "MultiLineString"
    assert client.get("/ogc/collections/water/items", {"f": "json", "kind": "lake"}).json()["numberMatched"] == 1
