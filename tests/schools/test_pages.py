"""The school pages through Django's client: list filters and sorting, the school page, the timeline JSON, the
planners' pages (who may, what they write), the district snippet, the OGC collections and tiles."""

from __future__ import annotations

from datetime import date

import pytest
from django.template.loader import render_to_string
from django.utils import timezone

from schools.models import Measurement, SchoolConnectionChange, SchoolToken
from schools.selectors import schools_in_district
from schools.services import ConnectionState, school_connection_update
from schools.vocabulary import ConnectionStatus as S
from tests.factories import CityFactory, DistrictFactory, SchoolFactory, UserFactory, planner
from tests.schools.conftest import at


@pytest.fixture
def schools(db) -> dict:
    CityFactory()
    quarter = DistrictFactory(name="Styrum")
    made = {
        "grund": SchoolFactory(
            name="Grundschule <b>Am Bach</b>", school_type="Grundschule", pupils=200, district=quarter
        ),
        "gym": SchoolFactory(name="Gymnasium Nord", school_type="Gymnasium", pupils=900),
        "real": SchoolFactory(name="Realschule Süd", school_type="Realschule", pupils=500),
    }
    school_connection_update(
        school=made["gym"], by=None,
        state=ConnectionState(status=S.CONNECTED, connected_date=date(2025, 3, 1), contracted_down_mbits=1000),
    )  # fmt: skip
    school_connection_update(
        school=made["real"], by=None, state=ConnectionState(status=S.PLANNED, planned_date=date(2028, 7, 1))
    )
    made["quarter"] = quarter
    return made


def _names(response) -> list[str]:
    return [s.name for s in response.context["schools"]]


def test_the_list_filters_by_type_district_status_and_rating(client, schools):
    assert len(_names(client.get("/schulen/"))) == 3
    assert _names(client.get("/schulen/?schulform=Gymnasium")) == ["Gymnasium Nord"]
    assert _names(client.get(f"/schulen/?bezirk={schools['quarter'].pk}")) == ["Grundschule <b>Am Bach</b>"]
    assert _names(client.get("/schulen/?status=planned")) == ["Realschule Süd"]
    assert _names(client.get("/schulen/?status=none")) == ["Grundschule <b>Am Bach</b>"]
    assert _names(client.get("/schulen/?bewertung=good")) == ["Gymnasium Nord"]
    page = client.get("/schulen/").content.decode()
    assert "Grundschule &lt;b&gt;Am Bach&lt;/b&gt;" in page  # escaped, never markup


def test_the_list_sorts_both_ways_and_says_how(client, schools):
    response = client.get("/schulen/?sortierung=-schueler")
    assert _names(response) == ["Gymnasium Nord", "Realschule Süd", "Grundschule <b>Am Bach</b>"]
    assert 'aria-sort="descending"' in response.content.decode()
    assert _names(client.get("/schulen/?sortierung=schueler"))[0] == "Grundschule <b>Am Bach</b>"
    assert _names(client.get("/schulen/?sortierung=-status"))[0] == "Gymnasium Nord"


@pytest.mark.parametrize(
    "query", ["status=bogus", "schulform=Hogwarts", "bezirk=999999", "sortierung=;drop", "bewertung=x"]
)
def test_bad_filters_are_a_400_that_names_the_field(client, schools, query):
    response = client.get(f"/schulen/?{query}")
    assert response.status_code == 400
    assert "Der Filter konnte nicht angewendet werden" in response.content.decode()


def test_the_school_page_shows_connection_history_rating_and_measurements(client, schools, settings):
    school = schools["gym"]
    now = timezone.now()
    from schools.ingest import measurements_store

    measurements_store(school=school, rows=[(1, now, 420.0, 300.0, 7.0, None, None)])
    response = client.get(f"/schulen/{school.school_number}/")
    page = response.content.decode()

    assert response.status_code == 200
    assert "Mit Glasfaser angeschlossen am 1. März 2025" in page
    assert "Verlauf des Anschlusses" in page
    assert "Die Schule hat im Median 420 Mbit/s Download gemessen; ihr Bedarf ist 900 Mbit/s." in page
    assert '<svg id="measurement-chart"' in page
    assert 'role="img"' in page
    assert "Mittel" in page  # 420 of 900: at least a quarter
    assert "Anschluss bearbeiten" not in page  # planners only


def test_unknown_school_numbers_are_404(client, schools):
    assert client.get("/schulen/999999/").status_code == 404
    assert client.get("/schulen/12345/").status_code == 404


def test_the_timeline_has_every_school_and_its_changes(client, schools):
    data = client.get("/schulen/verlauf.json").json()
    by_number = {s["number"]: s for s in data["schools"]}
    assert set(by_number) == {s.school_number for s in (schools["grund"], schools["gym"], schools["real"])}
    assert by_number[schools["gym"].school_number]["changes"] == [["2025-03-01", "connected"]]
    assert by_number[schools["grund"].school_number]["changes"] == []
    assert data["today"] == timezone.localdate().isoformat()


def test_only_planners_edit_a_connection(client, schools):
    url = f"/schulen/{schools['grund'].school_number}/anbindung/"
    assert client.get(url).status_code == 302  # to the sign-in page
    client.force_login(UserFactory())
    assert client.get(url).status_code == 403
    client.force_login(planner())
    assert client.get(url).status_code == 200

    refused = client.post(url, {"status": "planned"})
    assert refused.status_code == 400
    assert "ein geplanter Anschluss braucht das Datum" in refused.content.decode()

    saved = client.post(url, {"status": "planned", "planned_date": "2027-10-01", "contracted_down_mbits": "100"})
    assert saved.status_code == 302
    change = SchoolConnectionChange.objects.get(school=schools["grund"])
    assert (change.status, change.planned_date, change.changed_by.groups.first().name) == (
        "planned", date(2027, 10, 1), "planner",
    )  # fmt: skip


def test_planners_make_and_revoke_tokens_and_the_secret_is_shown_once(client, schools):
    url = f"/schulen/{schools['grund'].school_number}/tokens/"
    client.force_login(UserFactory())
    assert client.post(url, {"name": "Box"}).status_code == 403
    client.force_login(planner())

    made = client.post(url, {"name": "Box im Keller"})
    secret = made.context["secret"]
    assert secret.startswith("gfs_")
    assert secret in made.content.decode()
    assert made["Cache-Control"] == "no-store"
    token = SchoolToken.objects.get(school=schools["grund"])
    assert token.digest != secret
    assert secret not in client.get(url).content.decode()

    response = client.post(
        "/api/schulen/messungen", data=f'[{{"measured_at": "{at(1)}", "down_mbits": 50, "up_mbits": 10}}]',
        content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {secret}",
    )  # fmt: skip
    assert response.status_code == 201
    client.post(f"{url}{token.pk}/widerrufen/")
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert Measurement.objects.count() == 1


def test_the_district_snippet_lists_the_district_s_schools(schools):
    html = render_to_string(
        "schools/_district_schools.html",
        {"schools": schools_in_district(district=schools["quarter"]), "district": schools["quarter"]},
    )
    assert "Grundschule &lt;b&gt;Am Bach&lt;/b&gt;" in html
    assert "Gymnasium Nord" not in html
    assert f"?bezirk={schools['quarter'].pk}" in html


def test_the_ogc_collections_filter_with_cql2_and_serve_tiles(client, schools):
    client.get("/ogc/collections")  # the configuration is built from the catalogue (empty here: defaults)
    response = client.get(
        "/ogc/collections/school-connectivity/items",
        {"filter": "status = 'connected' AND pupils > 500", "filter-lang": "cql2-text"},
    )
    assert response.status_code == 200, response.content
    features = response.json()["features"]
    assert [f["properties"]["name"] for f in features] == ["Gymnasium Nord"]
    assert features[0]["properties"]["benchmark_class"] == "good"
    bad = client.get("/ogc/collections/school-connectivity/items", {"filter": "secret = 1"})
    assert bad.status_code == 400
    tiles = client.get("/ogc/collections/school-connectivity/tiles/WebMercatorQuad/10/340/531")
    assert tiles.status_code == 200
    assert tiles["Content-Type"] == "application/vnd.mapbox-vector-tile"
