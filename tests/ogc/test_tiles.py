"""OGC API – Tiles: vector tiles decoded with GDAL's MVT driver, limits, confidentiality, caching, a real client."""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pyogrio
import pytest
import shapely
from django.contrib.auth.models import AnonymousUser
from django.contrib.gis.geos import Point
from django.db import connection
from django.utils import timezone
from django.utils.http import parse_http_date

from geoportal.cache import shared_cache, shared_cache_flush
from layers.models import SRID
from ogc import response_cache
from ogc.tiles import render
from ogc.tiles import views as tiles_views
from ogc.tiles.matrix import lonlat_to_tile
from ogc.tiles.render import tile_render, tile_sql, tile_sql_text
from ogc.tiles.sources import SOURCES
from rollout.services import plan_version_publish
from tests.factories import (
    CITY_BOUNDS,
    AddressFactory,
    CityFactory,
    PlanAreaFactory,
    PlanVersionFactory,
    ProviderFactory,
    member_of,
    planner,
    square,
)

OGC = "/ogc"
MVT = "application/vnd.mapbox-vector-tile"
CENTRE = (350_000.0, 5_700_000.0)


@pytest.fixture(autouse=True)
def _own_tile_cache(own_tile_cache):
    """Every test starts with an empty shared (file) cache and re-reads the city's extent."""


def tile_of(x: float, y: float, z: int) -> tuple[int, int, int]:
    """(z, row, col) of the WebMercatorQuad tile holding the EPSG:25832 point."""
    lonlat = Point(x, y, srid=SRID).transform(4326, clone=True)
    col, row = lonlat_to_tile(lonlat.x, lonlat.y, z)
    return z, row, col


def tile_url(collection: str, z: int, row: int, col: int) -> str:
    return f"{OGC}/collections/{collection}/tiles/WebMercatorQuad/{z}/{row}/{col}"


def decode(content: bytes, z: int, row: int, col: int, tmp_path: Path):
    """The tile's features (EPSG:3857) read by GDAL's MVT driver, which georeferences {z}/{x}/{y}.pbf names."""
    path = tmp_path / "tiles" / str(z) / str(col) / f"{row}.pbf"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return pyogrio.read_dataframe(path)


def get_tile(client, collection: str, z: int, row: int, col: int, tmp_path: Path):
    response = client.get(tile_url(collection, z, row, col))
    if response.status_code == 204:
        return response, []
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == MVT
    return response, decode(response.content, z, row, col, tmp_path)


@pytest.fixture
def city(db):
    return CityFactory()


# -- metadata ---------------------------------------------------------------------------------


def test_tile_matrix_set_is_the_vendored_ogc_definition(client, db):
    listing = client.get(f"{OGC}/tileMatrixSets").json()
    assert [t["id"] for t in listing["tileMatrixSets"]] == ["WebMercatorQuad"]
    tms = client.get(f"{OGC}/tileMatrixSets/WebMercatorQuad").json()
    assert tms["uri"] == "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"
    assert tms["crs"] == "http://www.opengis.net/def/crs/EPSG/0/3857"
    assert len(tms["tileMatrices"]) == 25
    assert client.get(f"{OGC}/tileMatrixSets/WorldCRS84Quad").status_code == 404


def test_tileset_limits_cover_the_city_and_the_template_points_at_tiles(client, city):
    tileset = client.get(f"{OGC}/collections/addresses/tiles/WebMercatorQuad").json()
    limits = {limit["tileMatrix"]: limit for limit in tileset["tileMatrixSetLimits"]}
    assert sorted(limits, key=int) == [str(z) for z in range(13, 19)]
    for corner in [(345_000, 5_695_000), (355_000, 5_705_000), CENTRE]:
        z, row, col = tile_of(*corner, 16)
        assert limits["16"]["minTileRow"] <= row <= limits["16"]["maxTileRow"]
        assert limits["16"]["minTileCol"] <= col <= limits["16"]["maxTileCol"]
    item = next(link for link in tileset["links"] if link["rel"] == "item")
    assert item["type"] == MVT
    assert item["href"].endswith("/collections/addresses/tiles/WebMercatorQuad/{tileMatrix}/{tileRow}/{tileCol}")
    layer = tileset["layers"][0]
    assert layer["id"] == "addresses"
    assert layer["geometryDimension"] == 0
    assert layer["propertiesSchema"]["properties"]["homes"]["type"] == "integer"
    assert any(link["rel"].endswith("/tiling-scheme") for link in tileset["links"])
    listing = client.get(f"{OGC}/collections/rollout-areas/tiles").json()
    assert listing["tilesets"][0]["tileMatrixSetURI"].endswith("/WebMercatorQuad")
    rollout = client.get(f"{OGC}/collections/rollout-areas/tiles/WebMercatorQuad").json()
    assert rollout["tileMatrixSetLimits"][0]["tileMatrix"] == "10"


def test_collections_link_their_tilesets_and_conformance_declares_tiles(client, city):
    collection = client.get(f"{OGC}/collections/addresses", {"f": "json"}).json()
    links = [link for link in collection["links"] if link["rel"].endswith("/tilesets-vector")]
    assert [link["href"].rsplit("/ogc", 1)[1] for link in links] == ["/collections/addresses/tiles"]
    districts = client.get(f"{OGC}/collections/districts", {"f": "json"}).json()
    assert not any(link["rel"].endswith("/tilesets-vector") for link in districts["links"])
    conforms = client.get(f"{OGC}/conformance", {"f": "json"}).json()["conformsTo"]
    for name in ("core", "tileset", "tilesets-list", "geodata-tilesets", "mvt", "oas30"):
        assert f"http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/{name}" in conforms
    landing = client.get(OGC + "/", {"f": "json"}).json()
    schemes = [link for link in landing["links"] if link["rel"].endswith("/tiling-schemes")]
    assert [link["href"].rsplit("/ogc", 1)[1] for link in schemes] == ["/tileMatrixSets", "/tileMatrixSets?f=html"]


def test_every_landing_page_link_is_absolute(client, city):
    links = client.get(OGC + "/", {"f": "json"}).json()["links"]
    assert all(link["href"].startswith("http://testserver/") for link in links), links
    about = [link["href"] for link in links if link["rel"] == "about"]
    assert about == ["http://testserver/"]


def test_tile_link_titles_speak_the_documents_language(client, city):
    def titles(path: str, **params) -> list[str]:
        links = client.get(f"{OGC}{path}", {"f": "json", **params}).json()["links"]
        return [link["title"] for link in links if link["rel"].endswith(("/tilesets-vector", "/tiling-schemes"))]

    assert titles("/collections/addresses") == ["Vektorkachelsätze (Mapbox Vector Tiles)"]
    assert titles("/collections/addresses", lang="en") == ["Vector tilesets (Mapbox Vector Tiles)"]
    assert titles("/") == ["Kachelschemata", "Kachelschemata als HTML"]
    assert titles("/", lang="en") == ["Tiling schemes", "Tiling schemes as HTML"]


def test_openapi_describes_the_tile_paths_and_validates(client, city):
    from openapi_spec_validator import validate

    document = client.get(f"{OGC}/openapi", {"f": "json"}).json()
    path = "/collections/{collectionId}/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}"
    assert MVT in document["paths"][path]["get"]["responses"]["200"]["content"]
    assert "/tileMatrixSets" in document["paths"]
    # pygeoapi's own paths still $ref OGC's schemas online (made self-contained elsewhere): validate ours alone.
    tiles = {k: v for k, v in document["paths"].items() if "ile" in k}
    validate({"openapi": "3.0.2", "info": {"title": "tiles", "version": "1"}, "paths": tiles})


# -- tiles ------------------------------------------------------------------------------------


def test_address_tile_holds_the_addresses_with_attributes_at_their_positions(client, city, tmp_path):
    near = AddressFactory(street="Schloßstraße", house_number=7, homes=12, geom=Point(*CENTRE, srid=SRID))
    beside = AddressFactory(street="Kohlenkamp", house_number=3, geom=Point(CENTRE[0] + 20, CENTRE[1], srid=SRID))
    AddressFactory(street="Weit weg", geom=Point(CENTRE[0] + 3000, CENTRE[1], srid=SRID))
    z, row, col = tile_of(*CENTRE, 16)
    _, features = get_tile(client, "addresses", z, row, col, tmp_path)
    assert str(features.crs) == "EPSG:3857"
    assert sorted(features["street"]) == ["Kohlenkamp", "Schloßstraße"]
    found = features.set_index("mvt_id")
    assert found.loc[near.pk, "homes"] == 12
    assert found.loc[near.pk, "house_number"] == 7
    for address in (near, beside):
        expected = address.geom.transform(3857, clone=True)
        # One tile unit at z16 is 611 m / 4096 = 0.15 m.
        assert found.loc[address.pk, "geometry"].distance(shapely.Point(expected.x, expected.y)) < 0.3


def test_f_mvt_gives_the_same_tile(client, city):
    AddressFactory(geom=Point(*CENTRE, srid=SRID))
    url = tile_url("addresses", *tile_of(*CENTRE, 15))
    plain, explicit = client.get(url), client.get(url, {"f": "mvt"})
    assert plain.status_code == explicit.status_code == 200
    assert plain.content == explicit.content
    assert plain["ETag"] == explicit["ETag"]


def test_empty_tile_inside_the_limits_is_204(client, city):
    response = client.get(tile_url("addresses", *tile_of(346_000, 5_696_000, 16)))
    assert response.status_code == 204
    assert response.content == b""


@pytest.mark.parametrize(
    ("path", "status", "says"),
    [
        ("/collections/addresses/tiles/WebMercatorQuad/12/{row12}/{col12}", 404, "tileMatrix 12"),
        ("/collections/addresses/tiles/WebMercatorQuad/19/0/0", 404, "tileMatrix 19"),
        ("/collections/addresses/tiles/WebMercatorQuad/25/0/0", 404, "tileMatrix 25"),
        ("/collections/addresses/tiles/WebMercatorQuad/16/0/0", 404, "outside the tileset's limits"),
        ("/collections/addresses/tiles/WebMercatorQuad/16/{row}/99999999", 404, "outside"),
        ("/collections/addresses/tiles/WebMercatorQuad/16/-1/{col}", 404, "tileRow"),
        ("/collections/addresses/tiles/WebMercatorQuad/x/1/1", 404, "tileMatrix"),
        ("/collections/addresses/tiles/WebMercatorQuad/16/{row}/1e3", 404, "tileCol"),
        ("/collections/addresses/tiles/WebMercatorQuad/16/{row}/99999999999999999999", 404, "tileCol"),
        ("/collections/addresses/tiles/WorldCRS84Quad/16/{row}/{col}", 404, "WorldCRS84Quad"),
        ("/collections/districts/tiles/WebMercatorQuad/16/{row}/{col}", 404, "no vector tiles"),
        ("/collections/nowhere/tiles", 404, "no vector tiles"),
        ("/collections/nowhere/tiles/WebMercatorQuad", 404, "no vector tiles"),
        ("/collections/addresses/tiles/WebMercatorQuad/16/{row}/{col}?bbox=1,2,3,4", 400, "bbox"),
        ("/collections/addresses/tiles/WebMercatorQuad/16/{row}/{col}?f=png", 400, "png"),
        ("/collections/addresses/tiles?f=xml", 400, "xml"),
        ("/tileMatrixSets?limit=3", 400, "limit"),
    ],
)
def test_bad_tile_requests_are_json_4xx_never_500(client, city, path, status, says):
    z, row, col = tile_of(*CENTRE, 16)
    _, row12, col12 = tile_of(*CENTRE, 12)
    response = client.get(OGC + path.format(row=row, col=col, row12=row12, col12=col12))
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert says in response.json()["description"]


# -- confidentiality and caching --------------------------------------------------------------


@pytest.fixture
def plans(city):
    """Provider "own": v1 published ("Alt"), v2 accepted but unpublished ("Neu"); an address under both."""
    address = AddressFactory(geom=Point(*CENTRE, srid=SRID))
    own, other = ProviderFactory(slug="own"), ProviderFactory(slug="other")
    v1 = PlanVersionFactory(provider=own, number=1, published_at=timezone.now())
    PlanAreaFactory(version=v1, key="a", name="Alt", stage="planned")
    v2 = PlanVersionFactory(provider=own, number=2)
    PlanAreaFactory(
        version=v2, key="a", name="Neu", stage="under_construction", geom=square(349_900, 5_699_900, 350_100, 5_700_100)
    )
    from rollout.availability import availability_recompute

    availability_recompute()
    return {"address": address, "own": own, "other": other, "v2": v2}


def area_names(client, tmp_path) -> list[str]:
    _, features = get_tile(client, "rollout-areas", *tile_of(*CENTRE, 14), tmp_path)
    return sorted(features["name"]) if len(features) else []


def test_address_list_areas_are_drawn_around_their_addresses(client, city, tmp_path):
    # given a published area that is a list of addresses (no polygon of its own)
    address = AddressFactory(geom=Point(*CENTRE, srid=SRID))
    version = PlanVersionFactory(provider=ProviderFactory(slug="listed"), number=1, published_at=timezone.now())
    area = PlanAreaFactory(version=version, key="L", name="Liste", geom=None, stage="bookable")
    area.addresses.add(address)
    # then the rollout tile at the address holds it, flagged as an address list
    _, features = get_tile(client, "rollout-areas", *tile_of(*CENTRE, 16), tmp_path)
    assert list(features["name"]) == ["Liste"]
    assert bool(features["address_list"].iloc[0]) is True
    # and a tile far away does not
    _, elsewhere = get_tile(client, "rollout-areas", *tile_of(CENTRE[0] + 3000, CENTRE[1], 16), tmp_path)
    assert len(elsewhere) == 0


@pytest.mark.parametrize("warm_with", ["anonymous", "own member", "planner"])
def test_unpublished_areas_reach_only_own_members_and_planners_whatever_the_cache_holds(
    client, plans, tmp_path, warm_with
):
    own_member, other_member, city_planner = member_of(plans["own"]), member_of(plans["other"]), planner()
    users = {"anonymous": None, "own member": own_member, "other member": other_member, "planner": city_planner}
    expected = {"anonymous": ["Alt"], "own member": ["Neu"], "other member": ["Alt"], "planner": ["Neu"]}
    order = [warm_with] + [who for who in users if who != warm_with]
    for _ in range(2):  # the second round is served from the cache
        for who in order:
            client.logout()
            if users[who] is not None:
                client.force_login(users[who])
            assert area_names(client, tmp_path) == expected[who], who


def test_cache_control_public_for_anonymous_private_for_logged_in(client, plans):
    url = tile_url("rollout-areas", *tile_of(*CENTRE, 14))
    anonymous = client.get(url)
    assert anonymous["Cache-Control"] == "public, max-age=300"
    assert "Cookie" in anonymous["Vary"]
    client.force_login(member_of(plans["own"]))
    member = client.get(url)
    assert member["Cache-Control"].startswith("private")
    assert member["ETag"] != anonymous["ETag"]


def test_publishing_invalidates_the_cached_public_tiles(client, plans, tmp_path):
    z, row, col = tile_of(*CENTRE, 14)
    assert area_names(client, tmp_path) == ["Alt"]
    before = client.get(tile_url("availability", z, row, col))
    _, availability = get_tile(client, "availability", z, row, col, tmp_path)
    assert list(availability["stage"]) == ["planned"]

    plan_version_publish(version=plans["v2"], by=None)

    assert area_names(client, tmp_path) == ["Neu"]
    _, availability = get_tile(client, "availability", z, row, col, tmp_path)
    assert list(availability["stage"]) == ["under_construction"]
    assert list(availability["provider"]) == ["own"]
    assert availability.iloc[0]["address_id"] == plans["address"].pk
    after = client.get(tile_url("availability", z, row, col), headers={"If-None-Match": before["ETag"]})
    assert after.status_code == 200


def test_any_write_changes_the_next_tile_even_raw_sql(client, city, tmp_path):
    """Tiles are keyed by the tables' trigger versions: admin edits and raw SQL count like the services."""
    address = AddressFactory(geom=Point(*CENTRE, srid=SRID), postcode="45468")
    z, row, col = tile_of(*CENTRE, 16)
    _, before = get_tile(client, "addresses", z, row, col, tmp_path)
    assert list(before["postcode"]) == ["45468"]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE layers_address SET postcode = '45479' WHERE id = %s", [address.pk])
    _, after = get_tile(client, "addresses", z, row, col, tmp_path)
    assert list(after["postcode"]) == ["45479"]


def test_cached_tile_is_not_made_again_and_revalidation_gives_304(client, city, django_assert_num_queries):
    AddressFactory(geom=Point(*CENTRE, srid=SRID))
    url = tile_url("addresses", *tile_of(*CENTRE, 16))
    first = client.get(url)
    assert first.status_code == 200
    # Inside the test's transaction only the data versions are read (one query per request);
    # with committed data not even that (tests/ogc/test_cache_paths.py).
    with django_assert_num_queries(2) as context:
        again = client.get(url)
        not_modified = client.get(url, headers={"If-None-Match": first["ETag"]})
    assert all("data_version" in query["sql"] for query in context.captured_queries)
    assert again.content == first.content
    assert not_modified.status_code == 304
    assert not_modified.content == b""


def test_a_deploy_that_changes_what_tiles_hold_gets_new_tiles_and_etags(client, city, tmp_path, monkeypatch):
    AddressFactory(geom=Point(*CENTRE, srid=SRID), homes=4)
    z, row, col = tile_of(*CENTRE, 16)
    before, features = get_tile(client, "addresses", z, row, col, tmp_path)
    assert list(features["homes"]) == [4]
    # The new release serves one property less; its processes start with empty response caches, while the
    # shared tile cache (files) is kept, and the map client still holds the old tile with its ETag.
    source = SOURCES["addresses"]
    monkeypatch.setitem(
        SOURCES,
        "addresses",
        dataclasses.replace(source, properties=tuple(p for p in source.properties if p.name != "homes")),
    )
    monkeypatch.setattr(render, "_anonymous", {})
    monkeypatch.setattr(tiles_views, "_recipe_first_served", {})
    response_cache.clear()
    time.sleep(1.1)  # Last-Modified has whole seconds
    url = tile_url("addresses", z, row, col)
    assert client.get(url, headers={"If-None-Match": before["ETag"]}).status_code == 200
    # A client that revalidates by time alone gets the new tile too.
    assert client.get(url, headers={"If-Modified-Since": before["Last-Modified"]}).status_code == 200
    after, features = get_tile(client, "addresses", z, row, col, tmp_path)
    assert after["ETag"] != before["ETag"]
    assert parse_http_date(after["Last-Modified"]) > parse_http_date(before["Last-Modified"])
    assert "homes" not in features.columns
    assert list(features["street"]) == list(decode(before.content, z, row, col, tmp_path / "before")["street"])


def test_tiles_live_in_the_shared_cache_that_all_workers_read(client, city, tmp_path):
    AddressFactory(geom=Point(*CENTRE, srid=SRID))
    client.get(tile_url("addresses", *tile_of(*CENTRE, 16)))
    shared_cache_flush()  # written in the background, after the response
    assert list((tmp_path / "cache").glob("*.bin"))
    assert any(isinstance(v, bytes) and v for v in _cache_values())


def _cache_values():
    cache = shared_cache()
    for path in Path(cache._dir).glob(f"*{cache.cache_suffix}"):
        with path.open("rb") as f:
            if not cache._is_expired(f):
                import pickle

                yield pickle.load(f)  # noqa: S301 - our own cache file


@pytest.fixture
def city_sized(city):
    """4,000 addresses and 400 plan areas on grids over the city, all with availability, and fresh statistics.

    With a handful of rows the planner rightly prefers other paths (a primary-key scan that filters
    by geometry); the question is what it does with data shaped like the city's.
    """
    from layers.models import Address
    from rollout.availability import availability_recompute
    from rollout.models import PlanArea

    xs = [CITY_BOUNDS[0] + 160 * i for i in range(63)]
    ys = [CITY_BOUNDS[1] + 160 * j for j in range(63)]
    Address.objects.bulk_create(
        Address(street="Rasterweg", house_number=n + 1, postcode="45468", geom=Point(x, y, srid=SRID))
        for n, (x, y) in enumerate((x, y) for x in xs for y in ys)
    )
    version = PlanVersionFactory(number=1, published_at=timezone.now())
    PlanArea.objects.bulk_create(
        PlanArea(
            version=version,
            key=f"a-{i}-{j}",
            geom=square(x, y, x + 500, y + 500),
            stage="bookable",
            technology="ftth",
        )
        for i, x in enumerate(range(CITY_BOUNDS[0], CITY_BOUNDS[2], 500))
        for j, y in enumerate(range(CITY_BOUNDS[1], CITY_BOUNDS[3], 500))
    )
    availability_recompute()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE layers_address; ANALYZE rollout_availability; ANALYZE rollout_planarea")


@pytest.mark.parametrize("form", ["parameters", "text"])
@pytest.mark.parametrize("collection", ["addresses", "availability", "address-status", "rollout-areas"])
def test_tile_sql_is_one_statement_that_can_use_the_gist_index(city_sized, collection, form):
    # Both forms: with parameters (Django's path) and with its values in the text (the path before Django).
    if form == "parameters":
        sql, params = tile_sql(SOURCES[collection], user=AnonymousUser(), z=16, x=34020, y=21820)
    else:
        sql, params = tile_sql_text(SOURCES[collection], z=16, x=34020, y=21820), None
    assert sql.count("ST_AsMVT(") == 1
    # GiST indexes that Django makes for geometry fields are named <table>_geom_<hash>_id; rollout_planarea is
    # partitioned by version (rollout migration 0010): its partitions' indexes are <partition>_geom_idx.
    index_of = {
        "addresses": r"layers_address_geom_\w+_id",
        "availability": r"layers_address_geom_\w+_id",
        "address-status": r"layers_address_geom_\w+_id",
        "rollout-areas": r"rollout_planarea_(default|v\d+)_geom_idx",
    }
    with connection.cursor() as cursor:
        # A handful of test rows would make a sequential scan cheapest; forbid it to see whether
        # the planner *can* answer the && filter from the GiST index.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    # Rollout areas: a BitmapOr of "geom && box" and "geom IS NULL" (address-list areas), both from the index.
    assert re.search(rf"(Index Scan using|Bitmap Index Scan on) {index_of[collection]}", plan), plan
    assert re.search(r"Index Cond: \(\(?(layers_address\.)?geom && ", plan), plan


@pytest.mark.parametrize("collection", ["addresses", "availability", "address-status", "rollout-areas"])
def test_a_tiles_statement_with_its_values_in_the_text_makes_the_same_tile(city_sized, collection):
    source = SOURCES[collection]
    made = 0
    for zoom in (13, 14, 15, 16):
        z, row, col = tile_of(*CENTRE, zoom)
        text = tile_sql_text(source, z=z, x=col, y=row)
        assert "%" not in text
        with connection.cursor() as cursor:
            cursor.execute(text)
            [tile] = cursor.fetchone()
        tile = bytes(tile) if tile is not None else b""
        assert tile == tile_render(source, user=AnonymousUser(), z=z, x=col, y=row)
        made += bool(tile)
    assert made == 4  # tiles with features in them, not four empty ones
    # Tile indexes go in as %d: only integers, never text.
    with pytest.raises(TypeError):
        tile_sql_text(source, z="14); DROP TABLE layers_address; --", x=col, y=row)


def test_a_statement_text_keeps_percent_signs_and_quotes_its_constants(db):
    # No tile statement has a percent sign today; a selector rule with LIKE would bring one (written %% in
    # the compiled statement, and possibly one in a constant). The text sent without parameters has one each.
    sql = "SELECT %s, ST_TileEnvelope(%s, %s, %s) WHERE name LIKE 'Nord%%s' AND note = %s"
    text, order = render._text_template(sql, ["Ruhr's 50%", -1, -2, -3, "x"], {1: 0, 2: 1, 3: 2})
    statement = text % tuple((14, 8505, 5455)[i] for i in order)
    assert (
        statement == "SELECT 'Ruhr''s 50%', ST_TileEnvelope( 14,  8505,  5455) WHERE name LIKE 'Nord%s' AND note = 'x'"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement.replace(" WHERE", " FROM (SELECT 'Nord%s' AS name, 'x' AS note) t WHERE"))
        assert cursor.fetchone()[0] == "Ruhr's 50%"


def test_tile_statements_get_serial_plans_on_the_sites_connections(city_sized):
    # With parallel query as cheap as it gets, the planner would spread a tile over parallel workers, with a
    # parallel sequential scan (GiST scans cannot run in parallel): ~27 ms at city size against 1.2 ms. The
    # site's connections allow no parallel workers (settings), so the tile statement needs no SET of its own.
    sql, params = tile_sql(SOURCES["addresses"], user=AnonymousUser(), z=16, x=34020, y=21820)
    with connection.cursor() as cursor:
        for name in ("parallel_setup_cost", "parallel_tuple_cost", "min_parallel_table_scan_size"):
            cursor.execute(f"SET LOCAL {name} = 0")
        cursor.execute("EXPLAIN " + sql, params)
        serial = "\n".join(row[0] for row in cursor.fetchall())
        # The control: the same statement where parallel workers are allowed.
        cursor.execute("SET LOCAL max_parallel_workers_per_gather = 2")
        cursor.execute("EXPLAIN " + sql, params)
        allowed = "\n".join(row[0] for row in cursor.fetchall())
    assert "Gather" in allowed, allowed
    assert "Gather" not in serial, serial
    assert "Parallel" not in serial, serial


# -- a real client ----------------------------------------------------------------------------


@pytest.mark.slow
def test_gdal_ogcapi_driver_finds_and_reads_the_tiles(transactional_db, live_server):
    """GDAL's OGCAPI driver (pyogrio's GDAL) walks collection → tilesets → tileset → tiling scheme → MVT tiles."""
    CityFactory()
    AddressFactory(street="Schloßstraße", house_number=7, geom=Point(*CENTRE, srid=SRID))
    centre = Point(*CENTRE, srid=SRID).transform(3857, clone=True)
    # GDAL does not reproject the collection's CRS84 extent for vector tiles: give it in EPSG:3857.
    box = {"MINX": centre.x - 100, "MINY": centre.y - 100, "MAXX": centre.x + 100, "MAXY": centre.y + 100}
    options = ", ".join(f"{k}='{v}'" for k, v in box.items())
    # Tile matrices 13..18 are the layers 0..5. In a subprocess: GDAL would block the live server's thread.
    script = (
        "import pyogrio, json\n"
        f"df = pyogrio.read_dataframe('OGCAPI:{live_server.url}/ogc/collections/addresses', layer=3, API='TILES', "
        f"{options})\n"
        "print(json.dumps({'streets': list(df['street']), 'xy': [df.geometry.iloc[0].x, df.geometry.iloc[0].y]}))"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["streets"] == ["Schloßstraße"]
    assert shapely.Point(found["xy"]).distance(shapely.Point(centre.x, centre.y)) < 0.3
