"""The plan history pages through Django's test client: one version's page, the plan as of a day, the track record.

History of provider "alpha" (Alpha Netz):
v1 (published 30 days ago): A planned Q1/2028, B planned Q2/2028, C under construction.
v2 (accepted 10 days ago, *not published*): A moved to Q3/2028, B cancelled, C gone, D new, E an address list.
Provider "beta" has one unpublished version with area S.
"""

import re
from datetime import date, timedelta

import pytest
from django.utils import timezone
from django.utils.html import escape

from rollout.models import PlanSubmission
from tests.factories import (
    AddressFactory,
    PlanAreaFactory,
    PlanVersionFactory,
    ProviderFactory,
    UserFactory,
    member_of,
    planner,
    square,
)

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "other_member", "member", "planner", "admin"]
PAGE_EXPECTED = {"anonymous": "login", "other_member": 404, "member": 200, "planner": 200, "admin": 200}
Q1, Q2, Q3 = date(2028, 1, 1), date(2028, 4, 1), date(2028, 7, 1)


@pytest.fixture
def history(city):
    alpha = ProviderFactory(slug="alpha", name="Alpha Netz")
    beta = ProviderFactory(slug="beta", name="Beta Glasfaser")
    now = timezone.now()
    t0, t1 = now - timedelta(days=30), now - timedelta(days=10)
    submission = PlanSubmission.objects.create(
        provider=alpha, original_name="plan-2.geojson", received_at=t1, state=PlanSubmission.State.ACCEPTED
    )
    v1 = PlanVersionFactory(provider=alpha, number=1, accepted_at=t0, published_at=t0)
    PlanAreaFactory(
        version=v1, key="A", name="Altstadt", stage="planned", expected_date=Q1, expected_precision="quarter"
    )
    PlanAreaFactory(version=v1, key="B", stage="planned", expected_date=Q2, expected_precision="quarter")
    PlanAreaFactory(version=v1, key="C")
    v2 = PlanVersionFactory(provider=alpha, number=2, accepted_at=t1, submission=submission)
    PlanAreaFactory(
        version=v2, key="A", name="Altstadt", stage="planned", expected_date=Q3, expected_precision="quarter"
    )
    PlanAreaFactory(
        version=v2, key="B", stage="cancelled", cancel_reason="Quote verfehlt", expected_date=Q2,
        expected_precision="quarter",
    )  # fmt: skip
    PlanAreaFactory(version=v2, key="D", geom=square(346000, 5696000, 347000, 5697000), technology="fttb")
    listed = PlanAreaFactory(version=v2, key="E", geom=None, stage="bookable")
    listed.addresses.add(AddressFactory(street="Leineweberstraße", house_number=12))
    secret = PlanVersionFactory(provider=beta, number=1, accepted_at=t1)
    PlanAreaFactory(version=secret, key="S-SECRET")
    users = {
        "anonymous": None,
        "other_member": member_of(beta),
        "member": member_of(alpha),
        "planner": planner(),
        "admin": UserFactory(is_superuser=True, is_staff=True),
    }
    return {"alpha": alpha, "v1": v1, "v2": v2, "secret": secret, "t0": t0, "t1": t1, "users": users}


def _as(client, history, role):
    if history["users"][role] is not None:
        client.force_login(history["users"][role])
    return client


def _login_redirect(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith("/konto/anmelden/?next=")


# --- the version page ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("number", [1, 2])
@pytest.mark.parametrize("role", ROLES)
def test_version_page_by_role(client, history, role, number):
    response = _as(client, history, role).get(f"/ausbau/anbieter/alpha/versionen/{number}/")
    if PAGE_EXPECTED[role] == "login":
        assert _login_redirect(response)
        return
    assert response.status_code == PAGE_EXPECTED[role]
    html = response.content.decode()
    if response.status_code == 404:
        # neither the published nor the confidential version, not even the provider's name
        assert "Alpha" not in html
        assert "Altstadt" not in html
        return
    assert f"Planversion {number} von Alpha Netz" in html
    assert "Karte der Gebiete" in html
    assert "Altstadt" in html


def test_another_providers_version_is_404_for_a_member_and_shown_to_planners(client, history):
    client.force_login(history["users"]["member"])
    for url in ("/ausbau/anbieter/beta/versionen/1/", "/ausbau/anbieter/alpha/versionen/3/"):
        response = client.get(url)
        assert response.status_code == 404
        assert "S-SECRET" not in response.content.decode()
    client.force_login(history["users"]["planner"])
    html = client.get("/ausbau/anbieter/beta/versionen/1/").content.decode()
    assert "S-SECRET" in html
    assert "Vertraulich, nicht veröffentlicht" in html


def test_version_page_shows_its_facts(client, history):
    client.force_login(history["users"]["planner"])
    html = client.get("/ausbau/anbieter/alpha/versionen/2/").content.decode()
    assert "Vertraulich, nicht veröffentlicht" in html
    assert ">neueste<" in html
    assert "nicht veröffentlicht: nur für den Anbieter und die Stadt sichtbar" in html
    assert f'href="/ausbau/einreichungen/{history["v2"].submission_id}/">plan-2.geojson</a>' in html
    assert 'href="/ausbau/anbieter/alpha/versionen/1/" rel="prev"' in html
    # the city may publish it from here
    assert f'action="/ausbau/versionen/{history["v2"].pk}/veroeffentlichen/"' in html

    html = client.get("/ausbau/anbieter/alpha/versionen/1/").content.decode()
    assert "Veröffentlicht" in html
    assert ">neueste<" not in html
    assert 'href="/ausbau/anbieter/alpha/versionen/2/" rel="next"' in html
    assert "die erste Version des Anbieters" in html
    assert "/veroeffentlichen/" not in html


def test_member_without_the_right_gets_no_publish_button(client, history):
    client.force_login(history["users"]["member"])
    html = client.get("/ausbau/anbieter/alpha/versionen/2/").content.decode()
    assert "/veroeffentlichen/" not in html


def test_version_page_table_lists_every_area_with_its_attributes(client, history):
    client.force_login(history["users"]["member"])
    html = client.get("/ausbau/anbieter/alpha/versionen/2/").content.decode()
    table = html[html.index('id="areas-heading"') : html.index('id="diff-heading"')]
    for key in ("A", "B", "D", "E"):
        assert f'<th scope="row">{key}</th>' in table
    assert '<th scope="row">C</th>' not in table
    assert "Q3/2028" in table
    assert "Abgesagt" in table
    assert "Grund: Quote verfehlt" in table
    assert "FTTB" in table
    assert "1000 / 200" in table


def test_version_page_diff_against_the_previous_version(client, history):
    client.force_login(history["users"]["member"])
    html = client.get("/ausbau/anbieter/alpha/versionen/2/").content.decode()
    changes = html[html.index('id="diff-heading"') :]
    assert "Änderungen gegenüber Version 1" in changes
    assert "2 Gebiete hinzugefügt" in changes  # D and E
    assert "1 Gebiet entfernt" in changes  # C
    assert "1 Gebiet mit verschobenem Termin" in changes  # A
    assert "Q1/2028" in changes
    assert "Q3/2028" in changes
    assert "1 Gebiet mit geändertem Ausbaustand" in changes  # B


def test_version_map_draws_areas_and_address_lists_from_our_host(client, history):
    client.force_login(history["users"]["member"])
    response = client.get("/ausbau/anbieter/alpha/versionen/2/")
    html = response.content.decode()
    assert re.search(r'<script nonce="[^"]+" src="/static/vendor/leaflet-1\.9\.4/leaflet(\.\w+)?\.js"', html)
    assert "https://" not in html.split("<body", 1)[0]  # no asset from another host
    assert '"type": "Point"' in html  # the address list E as a point (a circle on the map)
    assert '"type": "MultiPolygon"' in html
    # every inline script carries the request's nonce (CSP)
    nonce = response.headers["Content-Security-Policy"].split("'nonce-", 1)[1].split("'", 1)[0]
    assert html.count("<script>") == 0
    assert f'<script nonce="{nonce}">' in html
    # the legend names the stage groups
    for label in (
        "Geplant oder Vorvermarktung",
        "Im Bau",
        "Glasfaser in der Straße, Hausanschluss gelegt oder buchbar",
        "Abgesagt",
    ):
        assert f"</svg> {label}</li>" in html


def test_area_table_pages_through_large_versions(client, history, monkeypatch):
    monkeypatch.setattr("rollout.views.VERSION_AREAS_PER_PAGE", 3)
    client.force_login(history["users"]["member"])
    first = client.get("/ausbau/anbieter/alpha/versionen/2/").content.decode()
    assert "Seite 1 von 2" in first
    assert '<th scope="row">E</th>' not in first.split('id="diff-heading"')[0]
    second = client.get("/ausbau/anbieter/alpha/versionen/2/?seite=2").content.decode()
    assert '<th scope="row">E</th>' in second.split('id="diff-heading"')[0]
    assert '<th scope="row">A</th>' not in second.split('id="diff-heading"')[0]
    # nonsense page numbers fall back to a real page instead of failing
    for page in ("abc", "-1", "99999999999999999999"):
        assert client.get(f"/ausbau/anbieter/alpha/versionen/2/?seite={page}").status_code == 200


def test_provider_page_and_review_link_to_the_versions(client, history):
    client.force_login(history["users"]["planner"])
    html = client.get("/ausbau/anbieter/alpha/").content.decode()
    assert 'href="/ausbau/anbieter/alpha/versionen/1/">Version 1</a>' in html
    assert 'href="/ausbau/anbieter/alpha/versionen/2/">Version 2</a>' in html
    review = client.get("/ausbau/pruefung/").content.decode()
    assert 'href="/ausbau/anbieter/alpha/versionen/2/">Version 2' in review
    assert 'href="/ausbau/anbieter/beta/versionen/1/">Version 1' in review


def test_version_page_in_english(client, history):
    client.force_login(history["users"]["member"])
    html = client.get("/en/ausbau/anbieter/alpha/versionen/2/").content.decode()
    assert 'lang="en"' in html
    assert "Plan version 2 of Alpha Netz" in html
    assert "Map of the areas" in html
    assert "Changes against version 1" in html
    assert "Confidential, not published" in html


# --- the plan as of a day --------------------------------------------------------------------------------------------


def _day(moment) -> str:
    return timezone.localtime(moment).date().isoformat()


@pytest.mark.parametrize("role", ROLES)
def test_as_of_by_role(client, history, role):
    url = f"/ausbau/anbieter/alpha/?stand={_day(timezone.now())}"
    response = _as(client, history, role).get(url)
    if PAGE_EXPECTED[role] == "login":
        assert _login_redirect(response)
        return
    assert response.status_code == PAGE_EXPECTED[role]
    html = response.content.decode()
    if response.status_code == 404:
        assert "Alpha" not in html
        return
    # today the confidential version 2 is current for those who work on the plan; the public still sees 1
    assert "war Version 2 aktuell" in html
    assert "Die Öffentlichkeit sah damals Version 1." in html


def test_as_of_a_day_between_the_versions(client, history):
    client.force_login(history["users"]["member"])
    day = _day(history["t0"] + timedelta(days=5))
    response = client.get(f"/ausbau/anbieter/alpha/?stand={day}")
    assert response.status_code == 200
    html = response.content.decode()
    section = html[html.index('id="as-of-heading"') : html.index('id="record-heading"')]
    assert "war Version 1 aktuell" in section
    assert 'href="/ausbau/anbieter/alpha/versionen/1/"' in section
    for key in ("A", "B", "C"):
        assert f'<th scope="row">{key}</th>' in section
    assert '<th scope="row">D</th>' not in section
    assert "Q1/2028" in section
    assert f'value="{day}"' in section  # the form keeps the date asked for


def test_as_of_a_day_before_the_first_version(client, history):
    client.force_login(history["users"]["member"])
    day = _day(history["t0"] - timedelta(days=5))
    html = client.get(f"/ausbau/anbieter/alpha/?stand={day}").content.decode()
    assert "war noch keine Version dieses Plans angenommen" in html
    assert "Die Öffentlichkeit sah damals keine Version dieses Plans." in html


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "Geben Sie ein Datum an."),
        ("gestern", "Geben Sie ein gültiges Datum an"),
        ("2026-02-30", "Geben Sie ein gültiges Datum an"),
        ("99999-01-01", "Geben Sie ein gültiges Datum an"),
        ("9999-12-31", "einen Tag in der Zukunft"),
    ],
)
def test_bad_dates_are_a_form_error(client, history, value, message):
    client.force_login(history["users"]["member"])
    response = client.get("/ausbau/anbieter/alpha/", {"stand": value})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'class="error-summary"' in html
    assert message in html
    assert 'aria-invalid="true"' in html
    assert "Ausbaupläne von Alpha Netz" in html  # the rest of the page is still there


def test_tomorrow_is_refused_and_the_earliest_date_works(client, history):
    client.force_login(history["users"]["member"])
    tomorrow = timezone.localdate() + timedelta(days=1)
    assert client.get("/ausbau/anbieter/alpha/", {"stand": tomorrow.isoformat()}).status_code == 400
    response = client.get("/ausbau/anbieter/alpha/", {"stand": "0001-01-01"})
    assert response.status_code == 200
    assert "war noch keine Version dieses Plans angenommen" in response.content.decode()
    # German spelling of a date works as well
    german = (timezone.localdate() - timedelta(days=1)).strftime("%d.%m.%Y")
    assert client.get("/ausbau/anbieter/alpha/", {"stand": german}).status_code == 200


# --- the track record ------------------------------------------------------------------------------------------------


def test_track_record_on_the_provider_page(client, history):
    client.force_login(history["users"]["member"])
    html = client.get("/ausbau/anbieter/alpha/").content.decode()
    record = html[html.index('id="record-heading"') : html.index('id="submissions-heading"')]
    assert "1 verschobener Termin" in record
    assert "1 Stornierung" in record
    slipped = record[record.index("verschobener Termin") : record.index("Stornierung")]
    assert '<th scope="row">A</th>' in slipped
    assert "Q1/2028" in slipped
    assert "Q3/2028" in slipped
    assert 'href="/ausbau/anbieter/alpha/versionen/2/">Version 2</a>' in slipped
    assert '<th scope="row">B</th>' in record.split("Stornierung", 1)[1]


def test_review_track_record_names_quarters_and_links_the_versions(client, history):
    client.force_login(history["users"]["planner"])
    html = client.get("/ausbau/pruefung/").content.decode()
    assert (
        '<a href="/ausbau/anbieter/alpha/versionen/2/">Version 2: Gebiet A von Q1/2028 auf Q3/2028 verschoben</a>'
        in html
    )
    assert '<a href="/ausbau/anbieter/alpha/versionen/2/">Version 2: Gebiet B storniert</a>' in html


def test_track_record_without_slips(client, history):
    client.force_login(history["users"]["other_member"])
    html = client.get("/ausbau/anbieter/beta/").content.decode()
    assert "Kein Termin hat sich verschoben." in html
    assert "Kein Gebiet wurde storniert." in html
    assert escape("Alpha") not in html


# --- the selectors behind the pages ----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_version_selectors_never_hand_out_an_unpublished_version(history, role):
    from django.contrib.auth.models import AnonymousUser

    from geoportal.errors import NotFoundError
    from rollout import selectors

    user = history["users"][role] or AnonymousUser()
    alpha, v1, v2 = history["alpha"], history["v1"], history["v2"]
    sees_unpublished = role in {"member", "planner", "admin"}
    # the published version 1 is public data at the selector level
    assert selectors.provider_version_get(provider=alpha, number=1, user=user) == v1
    assert selectors.version_neighbours(version=v1, user=user)["next"] == (v2 if sees_unpublished else None)
    if sees_unpublished:
        assert selectors.provider_version_get(provider=alpha, number=2, user=user) == v2
        assert {f["properties"]["key"] for f in selectors.version_area_shapes(version=v2, user=user)["features"]} == {
            "A",
            "B",
            "D",
            "E",
        }
    else:
        calls = [
            lambda: selectors.provider_version_get(provider=alpha, number=2, user=user),
            lambda: selectors.version_areas(version=v2, user=user),
            lambda: selectors.version_area_shapes(version=v2, user=user),
            lambda: selectors.version_neighbours(version=v2, user=user),
            lambda: selectors.version_diff(version=v2, previous=v1, user=user),
            lambda: selectors.version_diff(version=v1, previous=v2, user=user),
        ]
        for call in calls:
            with pytest.raises(NotFoundError):
                call()
    as_of = selectors.plan_as_of_day(provider=alpha, day=timezone.localdate(), user=user)
    assert as_of["version"] == (v2 if sees_unpublished else v1)
    assert as_of["public_version"] == v1


# --- queries ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "most"), [("planner", 22), ("member", 23)])
def test_version_page_reads_the_versions_visibility_once(client, history, role, most, django_assert_max_num_queries):
    """The version handed out by provider_version_get is not checked again by the selectors of the same page
    (it was one exists() per selector, with its role queries: 34 and 43 queries), and the roles are read once
    per request (24 and 28 before that). Two of these are the demo banner's (geoportal/demo.py), which asks
    only inside a transaction, as here."""
    client.force_login(history["users"][role])
    with django_assert_max_num_queries(most):
        assert client.get("/ausbau/anbieter/alpha/versionen/2/").status_code == 200


def test_a_page_reads_the_users_roles_once_and_the_next_request_afresh(client, history):
    """Navigation, selectors and the page each ask whether the user is a planner or member: one query each
    per request (rollout.roles.RolesPerRequestMiddleware); a membership ended is seen by the next request."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from rollout.models import ProviderMembership

    member = history["users"]["member"]
    client.force_login(member)
    with CaptureQueriesContext(connection) as context:
        assert client.get("/ausbau/anbieter/alpha/versionen/2/").status_code == 200
    sql = [q["sql"] for q in context.captured_queries]
    assert sum('FROM "rollout_providermembership"' in q for q in sql) == 1
    assert sum('FROM "auth_group"' in q for q in sql) == 1
    ProviderMembership.objects.filter(user=member).delete()
    assert client.get("/ausbau/anbieter/alpha/versionen/2/").status_code == 404


def test_submission_page_reads_visibility_and_staged_features_once(client, city, monkeypatch, tmp_path):
    """A large file's features are read from the staging table once for the table and the map, and the
    submission's visibility once (it was twice each: 23 queries)."""
    import shutil
    from pathlib import Path

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from rollout import pipeline
    from tests.rollout.conftest import PLANS
    from tests.rollout.test_staging import submit

    monkeypatch.setattr(pipeline, "FEATURES_JSON_MAX", 0)  # staged, as a large file
    provider = ProviderFactory(slug="alpha")
    submission = submit(provider, Path(shutil.copy(PLANS / "valid" / "areas.gpkg", tmp_path / "areas.gpkg")))
    client.force_login(member_of(provider))
    with CaptureQueriesContext(connection) as queries:
        html = client.get(f"/ausbau/einreichungen/{submission.pk}/").content.decode()
    assert "A-1" in html
    sql = [query["sql"] for query in queries.captured_queries]
    assert sum("rollout_planareastaging" in statement for statement in sql) == 1
    assert sum(statement.startswith('SELECT 1 AS "a" FROM "rollout_plansubmission"') for statement in sql) == 0
    assert len(sql) <= 16
