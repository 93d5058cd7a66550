"""Open-data downloads /daten/<layer>.<gpkg|csv|geojson> and the page /daten/, read back with GIS libraries."""

import csv
import io
import json
import re
import sqlite3

import geopandas as gpd
import pyogrio
import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.gis.geos import Point
from django.core.management import call_command
from django.utils import timezone
from shapely import wkt

from layers.models import District, Facility, Layer
from ogc import collections as registry
from ogc.collections import STRING, Collection
from schools.models import School
from tests.factories import FacilityFactory, SchoolFactory, UserFactory
from tests.ogc.conftest import city_load


@pytest.fixture(autouse=True)
def _download_dir(settings, tmp_path):
    settings.DOWNLOAD_CACHE_DIR = tmp_path / "downloads"


def fetch(client, url: str, tmp_path, status=200, **headers):
    response = client.get(url, headers=headers)
    assert response.status_code == status, response.content[:300] if not response.streaming else ""
    if status != 200:
        return response, None
    name = re.search(r'filename="([^"]+)"', response["Content-Disposition"]).group(1)
    path = tmp_path / name
    path.write_bytes(b"".join(response.streaming_content))
    return response, path


def stored_schools() -> dict[str, Point]:
    return {s.school_number: s.geom for s in School.objects.all()}


@pytest.mark.usefixtures("city")
def test_geopackage_has_every_school_at_its_stored_position_with_licence(client, tmp_path):
    response, path = fetch(client, "/daten/schulen.gpkg", tmp_path)
    assert response["Content-Type"] == "application/geopackage+sqlite3"
    assert path.name == f"schulen_{timezone.localdate():%Y-%m-%d}.gpkg"
    frame = gpd.read_file(path)
    assert frame.crs.to_epsg() == 25832
    stored = stored_schools()
    assert len(frame) == len(stored) == 40
    for row in frame.itertuples():
        assert row.geometry.distance(_shapely(stored[row.school_number])) < 1
    assert frame["pupils"].dtype.kind == "i" or frame["pupils"].isna().any()
    # Licence and attribution where GIS tools show them: gpkg_contents and the layer metadata.
    with sqlite3.connect(path) as db:
        (description,) = db.execute("select description from gpkg_contents where table_name='schulen'").fetchone()
    assert "Datenlizenz Deutschland" in description
    assert "Schulgrunddaten NRW" in description
    metadata = pyogrio.read_info(path)["layer_metadata"]
    assert metadata["LICENSE_URL"] == "https://www.govdata.de/dl-de/by-2-0"
    assert "IT.NRW" in metadata["ATTRIBUTION"]


@pytest.mark.usefixtures("city")
def test_csv_has_utm_and_lonlat_and_a_license_link(client, tmp_path):
    response, path = fetch(client, "/daten/schulen.csv", tmp_path)
    assert response["Content-Type"].startswith("text/csv")
    assert '<https://www.govdata.de/dl-de/by-2-0>; rel="license"' in response["Link"]
    assert '/ogc/collections/metadata/items/schulen>; rel="describedby"' in response["Link"]
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    stored = stored_schools()
    assert len(rows) == 40
    for row in rows:
        geom = stored[row["school_number"]]
        assert abs(float(row["x"]) - geom.x) < 1
        assert abs(float(row["y"]) - geom.y) < 1
        wgs = geom.transform(4326, clone=True)
        assert abs(float(row["lon"]) - wgs.x) < 1e-5
        assert abs(float(row["lat"]) - wgs.y) < 1e-5
    assert {row["is_school"] for row in rows} == {"true", "false"}
    # GDAL reads it as a point layer when told the columns.
    frame = pyogrio.read_dataframe(path, X_POSSIBLE_NAMES="x", Y_POSSIBLE_NAMES="y")
    assert len(frame) == 40


@pytest.mark.usefixtures("city")
def test_behind_a_proxy_every_absolute_link_starts_with_ogc_base_url(client, tmp_path, settings):
    """The API, its catalogue records and the downloads' Link header all build absolute URLs with ogc.config.base_url
    (the download's "describedby" link used to take the request's host even with OGC_BASE_URL set)."""
    settings.OGC_BASE_URL = "https://glasfaser.example.de/ogc"
    landing = client.get("/ogc", {"f": "json"}).json()
    links = [(link["rel"], link["href"]) for link in landing["links"]]
    # every link is absolute: the API's under OGC_BASE_URL, the site's pages (about) under its root
    assert [href for rel, href in links if rel == "about"] == ["https://glasfaser.example.de/"]
    assert all(href.startswith(settings.OGC_BASE_URL) for rel, href in links if rel != "about")
    record = client.get("/ogc/collections/metadata/items/schulen", {"f": "json"}).json()
    enclosures = [link["href"] for link in record["links"] if link["rel"] == "enclosure"]
    assert enclosures
    assert all(href.startswith("https://glasfaser.example.de/daten/schulen.") for href in enclosures)
    items = [link["href"] for link in record["links"] if link["rel"] == "items"]
    assert items == ["https://glasfaser.example.de/ogc/collections/schools/items"]
    response, _ = fetch(client, "/daten/schulen.csv", tmp_path)
    record_url = "https://glasfaser.example.de/ogc/collections/metadata/items/schulen"
    assert f'<{record_url}>; rel="describedby"' in response["Link"]


@pytest.mark.usefixtures("city")
def test_csv_of_areas_has_wkt_in_utm(client, tmp_path):
    _, path = fetch(client, "/daten/stadtbezirke.csv", tmp_path)
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    city = District.objects.get(level="city")
    row = next(r for r in rows if int(r["id"]) == city.pk)
    shape = wkt.loads(row["wkt"])
    assert shape.area == pytest.approx(city.geom.area, rel=1e-6)


@pytest.mark.usefixtures("city")
def test_geojson_is_crs84_with_licence_members(client, tmp_path):
    response, path = fetch(client, "/daten/schulen.geojson", tmp_path)
    assert response["Content-Type"] == "application/geo+json"
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["license"] == {"name": "Datenlizenz Deutschland – Namensnennung – Version 2.0",
                                   "href": "https://www.govdata.de/dl-de/by-2-0"}  # fmt: skip
    assert "Schulgrunddaten NRW" in document["attribution"]
    frame = gpd.read_file(path)
    assert len(frame) == 40
    stored = stored_schools()
    utm = frame.to_crs(25832)
    for row in utm.itertuples():
        assert row.geometry.distance(_shapely(stored[row.school_number])) < 1


@pytest.mark.usefixtures("city")
def test_file_is_rebuilt_when_the_data_change_and_answers_conditional_requests(client, tmp_path):
    first, _ = fetch(client, "/daten/schulen.gpkg", tmp_path)
    again, _ = fetch(client, "/daten/schulen.gpkg", tmp_path)
    assert again["ETag"] == first["ETag"]
    assert client.get("/daten/schulen.gpkg", headers={"If-None-Match": first["ETag"]}).status_code == 304
    SchoolFactory(school_number="999999", name="Neue Schule")
    changed, path = fetch(client, "/daten/schulen.gpkg", tmp_path)
    assert changed["ETag"] != first["ETag"]
    assert len(gpd.read_file(path)) == 41
    School.objects.filter(school_number="999999").update(name="Umbenannt")
    renamed, path = fetch(client, "/daten/schulen.gpkg", tmp_path)
    assert renamed["ETag"] != changed["ETag"]
    assert "Umbenannt" in set(gpd.read_file(path)["name"])
    # One file per collection and audience is kept.
    assert len(list(tmp_path.glob("downloads/schools-public-*.gpkg"))) == 1


@pytest.mark.usefixtures("city")
def test_no_download_for_unpublished_layers_layers_without_data_or_unknown_formats(client):
    Layer.objects.filter(slug="schulen").update(published=False)
    assert client.get("/daten/schulen.csv").status_code == 404
    assert client.get("/daten/breitbandatlas.csv").status_code == 404
    assert client.get("/daten/adressen.shp").status_code == 404
    assert client.get("/daten/gibtsnicht.csv").status_code == 404


def facilities_for_staff(*, user=None):
    """A selector that hides everything from anonymous users, like a confidential rollout layer."""
    if user is None or not user.is_authenticated:
        return Facility.objects.none()
    return Facility.objects.all()


@pytest.fixture
def confidential(db, monkeypatch):
    Layer.objects.create(slug="geheim", title="Geheim", abstract="Nur für Angemeldete", licence="CC0 1.0",
                         attribution="Stadt", source="Stadt")  # fmt: skip
    collection = Collection(
        id="secret",
        selector="tests.ogc.test_downloads.facilities_for_staff",
        layer="geheim",
        fields={"name": STRING},
        geometry_type="Point",
    )
    monkeypatch.setitem(registry.COLLECTIONS, "secret", collection)
    FacilityFactory(name="Vertraulich")
    return collection


def test_exports_use_the_selector_with_the_requesting_user_and_never_share_files(client, confidential, tmp_path):
    staff = UserFactory()
    client.force_login(staff)
    _, path = fetch(client, "/daten/geheim.geojson", tmp_path)
    assert [f["properties"]["name"] for f in json.loads(path.read_text())["features"]] == ["Vertraulich"]
    client.logout()
    _, path = fetch(client, "/daten/geheim.geojson", tmp_path)
    assert json.loads(path.read_text())["features"] == []
    for ext in ("gpkg", "csv"):
        _, path = fetch(client, f"/daten/geheim.{ext}", tmp_path)
        assert "Vertraulich" not in path.read_bytes().decode("utf-8", "replace")
    assert confidential.queryset(user=AnonymousUser()).count() == 0


@pytest.mark.usefixtures("city")
def test_downloads_page_lists_layers_with_licence_and_links_in_german_and_english(client):
    page = client.get("/daten/").content.decode()
    assert "<h1>Offene Daten</h1>" in page
    assert 'href="/daten/schulen.gpkg"' in page
    assert 'href="/daten/schulen.csv"' in page
    assert 'href="/daten/schulen.geojson"' in page
    assert "Datenlizenz Deutschland" in page
    assert "Namensnennung" in page
    assert 'href="/daten/breitbandatlas.csv"' not in page
    english = client.get("/en/daten/").content.decode()
    assert "<h1>Open data</h1>" in english
    assert 'href="/daten/schulen.gpkg"' in english
    home = client.get("/").content.decode()
    assert 'href="/daten/"' in home


def _shapely(point: Point):
    return wkt.loads(point.wkt)


@pytest.mark.slow
def test_geopandas_reads_a_download_and_an_items_url_from_the_live_server(transactional_db, live_server, settings):
    city_load()
    frame = gpd.read_file(f"{live_server.url}/daten/schulen.gpkg")
    assert len(frame) == 40
    assert frame.crs.to_epsg() == 25832
    items = gpd.read_file(f"{live_server.url}/ogc/collections/schools/items?limit=100")
    assert len(items) == 40


@pytest.mark.usefixtures("city")
def test_build_downloads_prepares_the_public_files_that_requests_then_serve(client, settings):
    call_command("build_downloads", stdout=io.StringIO())
    built = {p.name for p in settings.DOWNLOAD_CACHE_DIR.iterdir()}
    assert len([name for name in built if name.startswith("schools-public-")]) == 3
    client.get("/daten/schulen.csv")
    assert {p.name for p in settings.DOWNLOAD_CACHE_DIR.iterdir()} == built
