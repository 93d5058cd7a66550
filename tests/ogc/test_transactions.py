"""OGC API Part 4 on rollout areas: provider tokens write, everything else is refused, versions stay confidential."""

import json

import pytest
from django.contrib.auth.models import AnonymousUser
from pyproj import Transformer

from rollout import pipeline, staging
from rollout.models import PlanArea, PlanSubmission, PlanVersion
from rollout.selectors import plan_areas_visible
from rollout.services import plan_version_publish
from rollout.tokens import provider_token_create, provider_token_revoke
from tests.factories import ProviderFactory, member_of, planner

pytestmark = pytest.mark.usefixtures("city")

TO_CRS84 = Transformer.from_crs(25832, 4326, always_xy=True)
ITEMS = "/ogc/collections/rollout-areas/items"
GEOJSON = "application/geo+json"


def feature(key=None, *, x=351000, y=5699000, size=400, **properties) -> str:
    corners = [(x, y), (x + size, y), (x + size, y + size), (x, y + size), (x, y)]
    ring = [list(TO_CRS84.transform(a, b)) for a, b in corners]
    props = {"stage": "geplant", "technology": "FTTH", "expected": "Q2/2031", "max_down": 1000} | properties
    if key is not None:
        props["key"] = key
    return json.dumps({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]}, "properties": props})


@pytest.fixture
def provider():
    return ProviderFactory(slug="alpha", name="Alpha Glasfaser")


@pytest.fixture
def member(provider):
    return member_of(provider)


@pytest.fixture
def token(provider, member) -> str:
    return provider_token_create(provider=provider, user=member, name="GIS job", by=member)[1]


def auth(token: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def post(client, token, body, url=ITEMS, content_type=GEOJSON):
    return client.post(url, body, content_type=content_type, **(auth(token) if token else {}))


def test_a_token_creates_an_area_as_a_new_unpublished_version(client, provider, token):
    response = post(client, token, feature("A-1"))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["version"] == 1
    assert body["published"] is False
    area = PlanArea.objects.get(pk=body["id"])
    assert (area.key, area.stage, area.version.provider) == ("A-1", "planned", provider)
    assert response["Location"].endswith(f"{ITEMS}/{area.pk}")
    # the public sees nothing of it, on the API or anywhere that reads the selectors
    assert not plan_areas_visible(user=AnonymousUser()).exists()


@pytest.mark.parametrize("large", [False, True], ids=["staging-table", "own-table"])
def test_replace_and_delete_make_new_versions_and_old_ids_conflict(client, provider, token, large, monkeypatch):
    if large:
        # plans of two areas are staged in a table of their own and kept as no JSON (rollout.staging)
        monkeypatch.setattr(staging, "PARTITION_MIN_AREAS", 2)
        monkeypatch.setattr(pipeline, "FEATURES_JSON_MAX", 0)
    post(client, token, feature("A-1"))
    created = post(client, token, feature("A-2", x=352000))
    second = created.json()["id"]
    # the created area's id and location: the new area, last in its version
    assert PlanArea.objects.get(pk=second).key == "A-2"
    assert created["Location"].endswith(f"{ITEMS}/{second}")
    assert PlanSubmission.objects.get(pk=created.json()["submission"]).own_table is large
    # ids are per version: A-1 of version 2 is a new row
    first = PlanArea.objects.get(version__number=2, version__provider=provider, key="A-1").pk
    # when A-1 is replaced (under construction now; the key comes from the path)
    response = client.put(
        f"{ITEMS}/{first}", feature(stage="im Bau", expected="2031-09-30"), content_type=GEOJSON, **auth(token)
    )
    assert response.status_code == 200, response.content
    replaced = response.json()["id"]
    assert PlanArea.objects.get(pk=replaced).stage == "under_construction"
    assert PlanArea.objects.get(pk=replaced).version.number == 3
    # then the id of version 2 is history: editing it is a conflict that says so
    stale = client.delete(f"{ITEMS}/{second}", **auth(token))
    assert stale.status_code == 409
    assert "belongs to version 2" in stale.json()["description"]
    # deleting the current A-2 makes version 4 with A-1 only
    current_a2 = PlanArea.objects.get(version__number=3, version__provider=provider, key="A-2").pk
    assert client.delete(f"{ITEMS}/{current_a2}", **auth(token)).status_code == 204
    latest = PlanVersion.objects.filter(provider=provider).latest("number")
    assert (latest.number, list(latest.areas.values_list("key", flat=True))) == (4, ["A-1"])


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (feature("A-1", stage="irgendwann"), 400, "unknown stage"),
        (feature("A-1", expected="Q1/2019"), 400, "expected lies in the past"),
        (feature("A-1", x=600000), 400, "feature lies outside the city"),
        ("{broken", 400, "not JSON"),
        (json.dumps({"type": "FeatureCollection", "features": []}), 400, "one feature per request"),
    ],
)
def test_bad_features_are_400_with_the_report_and_nothing_stored(client, token, body, status, message):
    response = post(client, token, body)
    assert response.status_code == status
    text = json.dumps(response.json())
    assert message in text
    assert not PlanArea.objects.exists()


def test_writes_need_a_valid_token_not_a_session(client, provider, member, token):
    # no credentials
    response = post(client, None, feature("A-1"))
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    # a logged-in member's cookie is not enough (no CSRF hole)
    client.force_login(member)
    assert post(client, None, feature("A-1")).status_code == 401
    # a wrong or revoked token
    assert post(client, "gfp_not-a-token", feature("A-1")).status_code == 401
    assert client.post(ITEMS, feature("A-1"), content_type=GEOJSON, HTTP_AUTHORIZATION="Basic eDp5").status_code == 401
    from rollout.models import ProviderToken

    provider_token_revoke(token=ProviderToken.objects.get(), by=member)
    assert post(client, token, feature("A-1")).status_code == 401
    assert not PlanSubmission.objects.exists()


def test_read_only_collections_and_wrong_media_types_are_refused(client, token):
    assert post(client, token, feature("A-1"), url="/ogc/collections/schools/items").status_code == 405
    assert post(client, token, feature("A-1"), content_type="text/plain").status_code == 415
    assert client.patch(f"{ITEMS}/1", feature("A-1"), content_type=GEOJSON, **auth(token)).status_code == 405


def test_a_token_only_reaches_its_own_providers_areas(client, provider, token):
    other = ProviderFactory(slug="beta")
    other_member = member_of(other)
    other_token = provider_token_create(provider=other, user=other_member, name="job", by=other_member)[1]
    theirs = post(client, other_token, feature("B-1")).json()["id"]
    # alpha's token cannot delete beta's area: not found, not forbidden (existence is not revealed)
    assert client.delete(f"{ITEMS}/{theirs}", **auth(token)).status_code == 404
    assert PlanArea.objects.filter(pk=theirs).exists()


def test_published_edits_reach_the_public(client, provider, token):
    created = post(client, token, feature("A-1")).json()
    version = PlanVersion.objects.get(provider=provider, number=created["version"])
    plan_version_publish(version=version, by=planner())
    assert list(plan_areas_visible(user=AnonymousUser()).values_list("key", flat=True)) == ["A-1"]


def test_the_token_reads_its_unpublished_areas_through_the_collection_the_public_does_not(client, provider, token):
    created = post(client, token, feature("A-1")).json()
    # the provider's program sees its new area in the collection and as an item
    own = client.get(ITEMS, {"f": "json"}, **auth(token)).json()
    assert [f["properties"]["key"] for f in own["features"]] == ["A-1"]
    assert client.get(f"{ITEMS}/{created['id']}", {"f": "json"}, **auth(token)).status_code == 200
    # the public sees neither
    public = client.get(ITEMS, {"f": "json"}).json()
    assert (public["numberMatched"], public["features"]) == (0, [])
    assert client.get(f"{ITEMS}/{created['id']}", {"f": "json"}).status_code == 404
    # and a broken token on a read is 401, not a silent anonymous answer
    assert client.get(ITEMS, {"f": "json"}, **auth("gfp_broken")).status_code == 401


def test_conformance_and_openapi_declare_part_4_for_rollout_areas_only(client):
    conforms = client.get("/ogc/conformance", {"f": "json"}).json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete" in conforms
    paths = client.get("/ogc/openapi", {"f": "json"}).json()["paths"]
    assert "post" in paths["/collections/rollout-areas/items"]
    assert {"put", "delete"} <= set(paths["/collections/rollout-areas/items/{featureId}"])
    assert "put" not in paths["/collections/schools/items/{featureId}"]


@pytest.fixture
def owslib_headers():
    """OWSLib 0.3x updates its module-wide REQUEST_HEADERS with a client's headers: restore them afterwards."""
    from owslib import ogcapi

    saved = dict(ogcapi.REQUEST_HEADERS)
    yield
    ogcapi.REQUEST_HEADERS.clear()
    ogcapi.REQUEST_HEADERS.update(saved)


@pytest.mark.slow
def test_owslib_creates_replaces_and_deletes_with_a_token(transactional_db, live_server, owslib_headers):
    """OWSLib's Features client (a real Part 4 client) against the running server."""
    import requests
    from owslib.ogcapi.features import Features

    from tests.ogc.conftest import city_load

    city_load()
    provider = ProviderFactory(slug="alpha")
    member = member_of(provider)
    secret = provider_token_create(provider=provider, user=member, name="owslib", by=member)[1]
    api = Features(f"{live_server.url}/ogc", headers={"Authorization": f"Bearer {secret}"})
    assert api.collection_item_create("rollout-areas", json.loads(feature("O-1"))) is True
    assert api.collection_item_create("rollout-areas", json.loads(feature("O-2", x=352000))) is True
    items = api.collection_items("rollout-areas")
    ids = {f["properties"]["key"]: f["id"] for f in items["features"]}
    assert set(ids) == {"O-1", "O-2"}
    api.headers["Content-Type"] = GEOJSON
    assert api.collection_item_update(
        "rollout-areas", ids["O-1"], feature("O-1", stage="im Bau", expected="2031-12-31")
    )
    ids = {f["properties"]["key"]: f["id"] for f in api.collection_items("rollout-areas")["features"]}
    assert api.collection_item_delete("rollout-areas", ids["O-2"]) is True
    keys = [
        (f["properties"]["key"], f["properties"]["stage"]) for f in api.collection_items("rollout-areas")["features"]
    ]
    assert keys == [("O-1", "under_construction")]
    assert PlanVersion.objects.filter(provider=provider, published_at__isnull=True).count() == 4
    # without the token the public view is empty (plain requests: OWSLib would still send the token, see above)
    public = requests.get(f"{live_server.url}{ITEMS}", params={"f": "json"}, timeout=30).json()
    assert public["features"] == []
