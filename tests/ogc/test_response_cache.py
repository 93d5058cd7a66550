"""The whole-response cache of anonymous feature requests (ogc/response_cache.py): same bytes without the
ORM, a new response after any write to a table the collection reads, and never a response made for a
member (session or provider token) served to anyone else, nor the public one to a member."""

import pytest
from django.contrib.gis.geos import Point
from django.db import connection
from django.utils import timezone

from layers.models import SRID, Address
from ogc import response_cache
from rollout.models import PlanArea, PlanVersion
from rollout.tokens import provider_token_create
from tests.factories import AddressFactory, PlanAreaFactory, PlanVersionFactory, ProviderFactory, member_of, square

pytestmark = pytest.mark.usefixtures("city")

ADDRESSES = "/ogc/collections/addresses/items?limit=5"
AREAS = "/ogc/collections/rollout-areas/items"


@pytest.fixture(autouse=True)
def _empty_cache():
    response_cache.clear()
    yield
    response_cache.clear()


@pytest.fixture
def addresses(db):
    return [AddressFactory(geom=Point(349000 + 10 * i, 5699000, srid=SRID), postcode="45468") for i in range(8)]


@pytest.fixture
def plans(db):
    provider = ProviderFactory(slug="anbieter-a")
    public = PlanVersionFactory(provider=provider, number=1, published_at=timezone.now())
    secret = PlanVersionFactory(provider=provider, number=2)
    PlanAreaFactory(version=public, key="public", geom=square(349000, 5699000, 349500, 5699500))
    PlanAreaFactory(version=secret, key="secret", geom=square(352000, 5702000, 352500, 5702500))
    return {"provider": provider, "member": member_of(provider)}


def keys(response) -> list[str]:
    return [feature["properties"]["key"] for feature in response.json()["features"]]


def test_a_hit_serves_the_same_bytes_reading_only_the_data_versions(client, addresses, django_assert_num_queries):
    first = client.get(ADDRESSES)
    assert first.status_code == 200
    assert first.json()["numberMatched"] == 8
    with django_assert_num_queries(1) as context:
        second = client.get(ADDRESSES)
    assert "data_version" in context.captured_queries[0]["sql"]
    assert second.content == first.content
    assert second["ETag"] == first["ETag"]
    assert second["Content-Type"] == "application/geo+json"
    assert second["Content-Crs"] == first["Content-Crs"]
    assert second["Access-Control-Allow-Origin"] == "*"
    # the queryables read no table: a hit is no query at all
    client.get("/ogc/collections/addresses/queryables")
    with django_assert_num_queries(0):
        assert client.get("/ogc/collections/addresses/queryables").status_code == 200


def test_conditional_and_head_requests_are_answered_from_the_cache(client, addresses, django_assert_num_queries):
    first = client.get(ADDRESSES)
    with django_assert_num_queries(2):  # the data versions, once per request
        assert client.get(ADDRESSES, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
        head = client.head(ADDRESSES)
    assert head.status_code == 200
    assert head.content == b""
    assert head["Content-Length"] == str(len(first.content))
    assert client.get(ADDRESSES, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]).status_code == 304


def test_insert_update_and_delete_change_the_next_response(client, addresses):
    url = "/ogc/collections/addresses/items?postcode=45468&limit=100"
    before = client.get(url)
    assert before.json()["numberMatched"] == 8

    AddressFactory(geom=Point(349500, 5699000, srid=SRID), postcode="45468")  # ORM insert
    inserted = client.get(url)
    assert inserted.json()["numberMatched"] == 9
    assert inserted["ETag"] != before["ETag"]

    address = addresses[0]
    address.street = "Neue Straße"
    address.save()  # what the admin does
    updated = client.get(f"/ogc/collections/addresses/items/{address.pk}")
    assert updated.json()["properties"]["street"] == "Neue Straße"
    Address.objects.filter(pk=address.pk).update(street="Andere Straße")  # a bulk update
    assert client.get(f"/ogc/collections/addresses/items/{address.pk}").json()["properties"]["street"] == (
        "Andere Straße"
    )

    with connection.cursor() as cursor:  # raw SQL, as an import might
        cursor.execute("DELETE FROM layers_address WHERE id = %s", [addresses[1].pk])
    assert client.get(url).json()["numberMatched"] == 8
    assert client.get(f"/ogc/collections/addresses/items/{addresses[1].pk}").status_code == 404


def test_publishing_in_the_admin_changes_the_public_rollout_areas(client, plans):
    assert keys(client.get(AREAS)) == ["public"]
    PlanArea.objects.filter(key="public").update(name="Umbenannt")
    assert client.get(AREAS).json()["features"][0]["properties"]["name"] == "Umbenannt"
    version = PlanVersion.objects.get(provider=plans["provider"], number=2)
    version.published_at = timezone.now()
    version.save()
    assert keys(client.get(AREAS)) == ["secret"]


def test_a_members_response_never_reaches_the_public_nor_the_reverse(client, plans):
    member = plans["member"]
    # the member first: the unpublished version must not be stored for anonymous requests
    client.force_login(member)
    assert keys(client.get(AREAS)) == ["secret"]
    client.logout()
    assert keys(client.get(AREAS)) == ["public"]
    # the public answer is cached now; the member still gets their own, and so does a token
    client.force_login(member)
    assert keys(client.get(AREAS)) == ["secret"]
    client.logout()
    _, token = provider_token_create(provider=plans["provider"], user=member, name="GIS", by=member)
    by_token = client.get(AREAS, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert keys(by_token) == ["secret"]
    assert "private" in by_token["Cache-Control"]
    assert keys(client.get(AREAS)) == ["public"]
    # nothing but the anonymous response was kept
    assert len(response_cache._entries) == 1


def test_html_pages_are_not_cached(client, addresses):
    # they carry the request's CSP nonce
    assert client.get(ADDRESSES + "&f=html").status_code == 200
    assert not response_cache._entries
