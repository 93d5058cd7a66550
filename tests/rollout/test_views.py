"""Provider and planner pages through Django's test client: every role × page × action, bad uploads, i18n.

Roles: anonymous, a member of another provider, the provider's own member, a
city planner and an administrator. Another provider's member gets 404 (not 403)
for anything confidential, so nobody learns what exists.
"""

import json
import re
from pathlib import Path

import pytest
from django.core.files import File
from django.utils.html import escape
from jinja2.utils import htmlsafe_json_dumps

from rollout.models import Availability, FieldMapping, PlanArea, PlanSubmission, PlanVersion
from rollout.services import submission_accept, submission_create
from tests.factories import AddressFactory, ProviderFactory, UserFactory, member_of, planner
from tests.rollout.conftest import PLANS

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "other_member", "member", "planner", "admin"]


@pytest.fixture
def alpha(city):
    return ProviderFactory(slug="alpha", name="Alpha Netz")


@pytest.fixture
def users(alpha):
    beta = ProviderFactory(slug="beta", name="Beta Glasfaser")
    admin = UserFactory(is_superuser=True, is_staff=True)
    return {
        "anonymous": None,
        "other_member": member_of(beta),
        "member": member_of(alpha),
        "planner": planner(),
        "admin": admin,
    }


def _submit(provider, name: str, directory: str = "valid", mapping: dict | None = None) -> PlanSubmission:
    path = PLANS / directory / name
    with path.open("rb") as handle:
        return submission_create(provider=provider, file=File(handle, name=path.name), by=None, mapping=mapping)


@pytest.fixture
def received(alpha) -> PlanSubmission:
    submission = _submit(alpha, "areas.geojson")
    assert submission.state == PlanSubmission.State.RECEIVED, submission.report
    return submission


@pytest.fixture
def unpublished(alpha) -> PlanVersion:
    return submission_accept(submission=_submit(alpha, "areas.geojson"), by=None)


def _as(client, users, role):
    if users[role] is not None:
        client.force_login(users[role])
    return client


def _login_redirect(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith("/konto/anmelden/?next=")


# --- pages -----------------------------------------------------------------------------------------------------------

PAGE_EXPECTED = {"anonymous": "login", "other_member": 404, "member": 200, "planner": 200, "admin": 200}


@pytest.mark.parametrize("role", ROLES)
def test_provider_page_by_role(client, users, received, role):
    response = _as(client, users, role).get("/ausbau/anbieter/alpha/")
    if PAGE_EXPECTED[role] == "login":
        assert _login_redirect(response)
        return
    assert response.status_code == PAGE_EXPECTED[role]
    if response.status_code == 200:
        html = response.content.decode()
        assert "Ausbaupläne von Alpha Netz" in html
        assert "areas.geojson" in html  # the submissions list
        assert "Geprüft, wartet auf Entscheidung" in html  # its state badge
        assert 'enctype="multipart/form-data"' in html
        assert "höchstens 200,0\xa0MB" in html  # the size limit, in the form
    else:
        assert "Alpha Netz" not in response.content.decode()


@pytest.mark.parametrize("role", ROLES)
def test_submission_page_by_role(client, users, received, role):
    response = _as(client, users, role).get(f"/ausbau/einreichungen/{received.pk}/")
    if PAGE_EXPECTED[role] == "login":
        assert _login_redirect(response)
        return
    assert response.status_code == PAGE_EXPECTED[role]
    html = response.content.decode()
    if response.status_code == 404:
        assert "areas.geojson" not in html
        assert "Alpha" not in html
        return
    assert "Prüfbericht" in html
    assert "3 Gebiete hinzugefügt" in html
    # the accept button for members and the city, the reject form for the city only
    assert ("Als neue Planversion annehmen" in html) is True
    assert ("Begründung der Ablehnung" in html) is (role in {"planner", "admin"})


def test_unknown_submission_is_404_like_a_foreign_one(client, users):
    client.force_login(users["member"])
    assert client.get("/ausbau/einreichungen/999999/").status_code == 404
    assert client.get("/ausbau/anbieter/no-such-provider/").status_code == 404


REVIEW_EXPECTED = {"anonymous": "login", "other_member": 403, "member": 403, "planner": 200, "admin": 200}


@pytest.mark.parametrize("role", ROLES)
def test_review_page_by_role(client, users, unpublished, received, role):
    response = _as(client, users, role).get("/ausbau/pruefung/")
    if REVIEW_EXPECTED[role] == "login":
        assert _login_redirect(response)
        return
    assert response.status_code == REVIEW_EXPECTED[role]
    html = response.content.decode()
    if response.status_code == 200:
        assert "Dateien, die auf eine Entscheidung warten" in html
        assert f"/ausbau/einreichungen/{received.pk}/" in html
        assert f"/ausbau/versionen/{unpublished.pk}/veroeffentlichen/" in html
        assert "Bilanz je Anbieter" in html
        assert "Beta Glasfaser" in html  # every provider's track record
    else:
        assert "Alpha" not in html


@pytest.mark.parametrize(
    ("role", "expected"),
    [("anonymous", "login"), ("other_member", "/ausbau/anbieter/beta/"), ("member", "/ausbau/anbieter/alpha/")],
)
def test_home_leads_members_to_their_provider(client, users, role, expected):
    response = _as(client, users, role).get("/ausbau/")
    if expected == "login":
        assert _login_redirect(response)
    else:
        assert response.status_code == 302
        assert response["Location"] == expected


@pytest.mark.parametrize("role", ["planner", "admin"])
def test_home_lists_all_providers_for_the_city(client, users, role):
    html = _as(client, users, role).get("/ausbau/").content.decode()
    assert "Alpha Netz" in html
    assert "Beta Glasfaser" in html
    assert "/ausbau/pruefung/" in html


def test_header_links_by_role(client, users):
    assert 'href="/konto/anmelden/?next=/"' in client.get("/").content.decode()
    client.force_login(users["member"])
    html = client.get("/").content.decode()
    assert "Meine Ausbaupläne" in html
    assert "Abmelden" in html
    assert ">Prüfung<" not in html
    client.force_login(users["planner"])
    html = client.get("/").content.decode()
    assert "Meine Ausbaupläne" in html
    assert ">Prüfung<" in html


# --- login / logout --------------------------------------------------------------------------------------------------


def test_login_in_german_and_back_to_the_page_asked_for(client, alpha):
    user = member_of(alpha)
    user.set_password("a-long-test-password")
    user.save()
    page = client.get("/ausbau/anbieter/alpha/", follow=True)
    html = page.content.decode()
    assert '<label for="id_username">Benutzername</label>' in html
    assert "keine Selbstregistrierung" in html
    wrong = client.post("/konto/anmelden/", {"username": user.username, "password": "nope"})
    assert wrong.status_code == 200
    assert 'class="error-summary"' in wrong.content.decode()
    right = client.post(
        "/konto/anmelden/",
        {"username": user.username, "password": "a-long-test-password", "next": "/ausbau/anbieter/alpha/"},
    )
    assert right.status_code == 302
    assert right["Location"] == "/ausbau/anbieter/alpha/"
    out = client.post("/konto/abmelden/")
    assert out.status_code == 302
    assert _login_redirect(client.get("/ausbau/anbieter/alpha/"))


def test_no_self_registration(client):
    assert client.get("/konto/registrieren/").status_code == 404


# --- actions ---------------------------------------------------------------------------------------------------------

ACCEPT_EXPECTED = {"anonymous": "login", "other_member": 404, "member": 302, "planner": 302, "admin": 302}


@pytest.mark.parametrize("role", ROLES)
def test_accept_by_role(client, users, received, role):
    response = _as(client, users, role).post(f"/ausbau/einreichungen/{received.pk}/annehmen/")
    received.refresh_from_db()
    if ACCEPT_EXPECTED[role] == "login":
        assert _login_redirect(response)
    else:
        assert response.status_code == ACCEPT_EXPECTED[role]
    accepted = ACCEPT_EXPECTED[role] == 302
    assert (received.state == PlanSubmission.State.ACCEPTED) is accepted
    assert PlanVersion.objects.filter(submission=received).exists() is accepted
    if accepted:
        assert response["Location"] == f"/ausbau/einreichungen/{received.pk}/"
        page = client.get(response["Location"]).content.decode()
        assert "Als Version 1 angenommen" in page  # the message after the action
        assert "Vertraulich, nicht veröffentlicht" in page


REJECT_EXPECTED = {"anonymous": "login", "other_member": 404, "member": 403, "planner": 302, "admin": 302}


@pytest.mark.parametrize("role", ROLES)
def test_reject_by_role(client, users, received, role):
    response = _as(client, users, role).post(
        f"/ausbau/einreichungen/{received.pk}/ablehnen/", {"note": "Gebiet A-2 fehlt die Förderung."}
    )
    received.refresh_from_db()
    if REJECT_EXPECTED[role] == "login":
        assert _login_redirect(response)
    else:
        assert response.status_code == REJECT_EXPECTED[role]
    rejected = REJECT_EXPECTED[role] == 302
    assert (received.state == PlanSubmission.State.REJECTED) is rejected
    if rejected:
        assert received.decision_note == "Gebiet A-2 fehlt die Förderung."
        page = client.get(response["Location"]).content.decode()
        assert "Gebiet A-2 fehlt die Förderung." in page
        assert "Abgelehnt" in page
    if REJECT_EXPECTED[role] == 403:
        assert "Ihr Konto darf das nicht." in response.content.decode()


def test_reject_needs_a_note(client, users, received):
    client.force_login(users["planner"])
    response = client.post(f"/ausbau/einreichungen/{received.pk}/ablehnen/", {"note": ""})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'href="#id_note"' in html
    assert 'aria-invalid="true"' in html
    received.refresh_from_db()
    assert received.state == PlanSubmission.State.RECEIVED


PUBLISH_EXPECTED = {"anonymous": "login", "other_member": 404, "member": 403, "planner": 302, "admin": 302}


@pytest.mark.parametrize("role", ROLES)
def test_publish_by_role(client, users, unpublished, role):
    AddressFactory()  # inside area A-1: availability appears once published
    response = _as(client, users, role).post(f"/ausbau/versionen/{unpublished.pk}/veroeffentlichen/")
    unpublished.refresh_from_db()
    if PUBLISH_EXPECTED[role] == "login":
        assert _login_redirect(response)
    else:
        assert response.status_code == PUBLISH_EXPECTED[role]
    published = PUBLISH_EXPECTED[role] == 302
    assert unpublished.is_published is published
    assert Availability.objects.exists() is published


def test_member_publishes_where_the_city_allows_it(client, users, alpha, unpublished):
    alpha.may_self_publish = True
    alpha.save()
    client.force_login(users["member"])
    assert "Version 1 veröffentlichen" in client.get("/ausbau/anbieter/alpha/").content.decode()
    response = client.post(f"/ausbau/versionen/{unpublished.pk}/veroeffentlichen/", {"next": "https://evil.example/"})
    assert response.status_code == 302
    assert response["Location"] == "/ausbau/anbieter/alpha/"
    unpublished.refresh_from_db()
    assert unpublished.is_published


def test_publish_button_hidden_from_members_without_the_right(client, users, unpublished):
    client.force_login(users["member"])
    assert "veröffentlichen" not in client.get("/ausbau/anbieter/alpha/").content.decode().lower().replace(
        "veröffentlicht", ""
    )


def test_double_accept_is_a_400_with_the_reason(client, users, received):
    client.force_login(users["member"])
    client.post(f"/ausbau/einreichungen/{received.pk}/annehmen/")
    again = client.post(f"/ausbau/einreichungen/{received.pk}/annehmen/")
    assert again.status_code == 400
    assert "only received, valid submissions can be accepted" in again.content.decode()
    assert PlanVersion.objects.count() == 1


def test_publishing_twice_is_a_400(client, users, unpublished):
    client.force_login(users["planner"])
    client.post(f"/ausbau/versionen/{unpublished.pk}/veroeffentlichen/")
    again = client.post(f"/ausbau/versionen/{unpublished.pk}/veroeffentlichen/")
    assert again.status_code == 400
    assert "already published" in again.content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "/ausbau/einreichungen/{s}/annehmen/",
        "/ausbau/einreichungen/{s}/ablehnen/",
        "/ausbau/versionen/{v}/veroeffentlichen/",
        "/ausbau/anbieter/alpha/hochladen/",
        "/ausbau/anbieter/alpha/zuordnung/",
    ],
)
def test_actions_are_post_only_with_csrf(users, unpublished, received, url):
    from django.test import Client

    url = url.format(s=received.pk, v=unpublished.pk)
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["planner"])
    assert client.get(url).status_code == 405
    assert client.post(url, {"note": "x"}).status_code == 403  # no CSRF token
    received.refresh_from_db()
    unpublished.refresh_from_db()
    assert received.state == PlanSubmission.State.RECEIVED
    assert not unpublished.is_published


# --- upload ----------------------------------------------------------------------------------------------------------

UPLOAD_EXPECTED = {"anonymous": "login", "other_member": 404, "member": 302, "planner": 302, "admin": 302}


@pytest.mark.parametrize("role", ROLES)
def test_upload_by_role(client, users, alpha, role):
    with (PLANS / "valid" / "areas.geojson").open("rb") as handle:
        response = _as(client, users, role).post("/ausbau/anbieter/alpha/hochladen/", {"file": handle})
    if UPLOAD_EXPECTED[role] == "login":
        assert _login_redirect(response)
    else:
        assert response.status_code == UPLOAD_EXPECTED[role]
    stored = PlanSubmission.objects.filter(provider=alpha)
    assert stored.exists() is (UPLOAD_EXPECTED[role] == 302)
    if stored.exists():
        submission = stored.get()
        assert response["Location"] == f"/ausbau/einreichungen/{submission.pk}/"
        assert submission.received_by == users[role]
        page = client.get(response["Location"]).content.decode()
        assert "Die Datei wurde geprüft und hat keine Fehler." in page


def _nothing_stored(media_root: Path) -> bool:
    files = [p for p in media_root.rglob("*") if p.is_file()] if media_root.exists() else []
    return PlanSubmission.objects.count() == 0 and files == []


def test_upload_too_large_is_413_and_nothing_stored(client, users, alpha, settings, media_root):
    settings.PLAN_UPLOAD_MAX_BYTES = 1000  # areas.geojson has 1,664 bytes
    client.force_login(users["member"])
    with (PLANS / "valid" / "areas.geojson").open("rb") as handle:
        response = client.post("/ausbau/anbieter/alpha/hochladen/", {"file": handle})
    assert response.status_code == 413
    html = response.content.decode()
    assert "Die Datei ist größer als die Grenze von 1000\xa0Bytes." in html
    assert '<a href="#id_file">' in html  # the error summary links to the field
    assert _nothing_stored(media_root)


def test_upload_announced_too_large_is_not_read(client, users, alpha, settings, media_root, tmp_path):
    settings.PLAN_UPLOAD_MAX_BYTES = 1000
    big = tmp_path / "big.geojson"
    big.write_bytes(b" " * 200_000)  # beyond limit + multipart envelope: refused on Content-Length alone
    client.force_login(users["member"])
    with big.open("rb") as handle:
        response = client.post("/ausbau/anbieter/alpha/hochladen/", {"file": handle})
    assert response.status_code == 413
    assert "größer als die Grenze" in response.content.decode()
    assert _nothing_stored(media_root)


def test_upload_of_wrong_type_is_400_and_nothing_stored(client, users, alpha, media_root):
    client.force_login(users["member"])
    with (PLANS / "invalid" / "unsupported.docx").open("rb") as handle:
        response = client.post("/ausbau/anbieter/alpha/hochladen/", {"file": handle})
    assert response.status_code == 400
    assert "Dateien vom Typ „.docx“ können nicht gelesen werden." in response.content.decode()
    assert _nothing_stored(media_root)


def test_upload_without_file_is_400(client, users, alpha):
    client.force_login(users["member"])
    response = client.post("/ausbau/anbieter/alpha/hochladen/", {})
    assert response.status_code == 400
    assert "Wählen Sie eine Datei zum Hochladen." in response.content.decode()
    assert PlanSubmission.objects.count() == 0


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("garbage.gpkg", "Datei nicht lesbar"),
        ("bomb.zip", "Archiv entpackt sich über die Grenze hinaus"),
        ("no_prj.zip", "Koordinatenreferenzsystem fehlt"),
        ("outside_city.geojson", "Objekt liegt außerhalb der Stadt"),
        ("unknown_stage.csv", "unbekannter Ausbaustand"),
        ("past_quarter.csv", "erwarteter Termin liegt in der Vergangenheit"),
        ("duplicate_key.geojson", "doppelter Gebietsschlüssel"),
    ],
)
def test_broken_file_is_400_with_its_report_and_no_plan(client, users, alpha, name, message):
    FieldMapping.objects.create(provider=alpha, mapping={"crs": "EPSG:25832"})  # the CSVs hold WKT
    client.force_login(users["member"])
    with (PLANS / "invalid" / name).open("rb") as handle:
        response = client.post("/ausbau/anbieter/alpha/hochladen/", {"file": handle})
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert "kann nicht angenommen werden" in html
    assert "Als neue Planversion annehmen" not in html
    # the file is on record as invalid; nothing of it reaches the plan tables
    submission = PlanSubmission.objects.get()
    assert submission.state == PlanSubmission.State.INVALID
    assert submission.features == []
    assert (PlanVersion.objects.count(), PlanArea.objects.count(), Availability.objects.count()) == (0, 0, 0)


def test_report_lists_row_field_value_and_expectation(client, users, alpha):
    submission = _submit(alpha, "unknown_stage.csv", "invalid", mapping={"crs": "EPSG:25832"})
    client.force_login(users["member"])
    html = client.get(f"/ausbau/einreichungen/{submission.pk}/").content.decode()
    table = re.search(r'<div class="report-group report-error" id="group-1">.*?</table>', html, re.S).group(0)
    assert "Fehler:</span> unbekannter Ausbaustand" in table
    assert "<td>1</td>" in table
    assert "<td>stage</td>" in table
    assert "<code>irgendwann</code>" in table
    assert '<th scope="col">Erwartet</th>' in table


def test_upload_for_the_script_answers_json(client, users, alpha, settings):
    client.force_login(users["member"])
    with (PLANS / "valid" / "areas.geojson").open("rb") as handle:
        ok = client.post("/ausbau/anbieter/alpha/hochladen/", {"file": handle}, headers={"accept": "application/json"})
    assert ok.status_code == 200
    assert ok.json() == {"location": f"/ausbau/einreichungen/{PlanSubmission.objects.get().pk}/", "state": "received"}
    with (PLANS / "invalid" / "garbage.gpkg").open("rb") as handle:
        bad = client.post("/ausbau/anbieter/alpha/hochladen/", {"file": handle}, headers={"accept": "application/json"})
    assert bad.status_code == 400
    assert bad.json()["state"] == "invalid"
    settings.PLAN_UPLOAD_MAX_BYTES = 10
    with (PLANS / "valid" / "areas.geojson").open("rb") as handle:
        big = client.post("/ausbau/anbieter/alpha/hochladen/", {"file": handle}, headers={"accept": "application/json"})
    assert big.status_code == 413
    assert big.json() == {"errors": ["Die Datei ist größer als die Grenze von 10\xa0Bytes."]}


# --- field mapping ---------------------------------------------------------------------------------------------------


def test_mapping_is_saved_prefilled_and_used_for_the_next_upload(client, users, alpha):
    client.force_login(users["member"])
    response = client.post("/ausbau/anbieter/alpha/zuordnung/", {"technology": "technologi", "crs": ""})
    assert response.status_code == 302
    assert FieldMapping.objects.get(provider=alpha).mapping == {"technology": "technologi"}
    page = client.get("/ausbau/anbieter/alpha/").content.decode()
    assert 'name="technology" id="id_technology" value="technologi"' in page
    # the Shapefile cut "technologie" to "technologi": with the saved mapping it is valid
    with (PLANS / "valid" / "areas_shp.zip").open("rb") as handle:
        upload = client.post("/ausbau/anbieter/alpha/hochladen/", {"file": handle})
    assert upload.status_code == 302
    assert PlanSubmission.objects.get().state == PlanSubmission.State.RECEIVED
    # an empty form removes the mapping
    client.post("/ausbau/anbieter/alpha/zuordnung/", {})
    assert not FieldMapping.objects.filter(provider=alpha).exists()


@pytest.mark.parametrize(("role", "expected"), [("other_member", 404), ("anonymous", "login")])
def test_mapping_of_another_provider_is_not_reachable(client, users, alpha, role, expected):
    response = _as(client, users, role).post("/ausbau/anbieter/alpha/zuordnung/", {"technology": "x"})
    assert _login_redirect(response) if expected == "login" else response.status_code == expected
    assert not FieldMapping.objects.filter(provider=alpha).exists()


# --- diff map and table ----------------------------------------------------------------------------------------------


def test_diff_map_and_table_of_a_second_version(client, users, alpha, tmp_path):
    # given version 1 with
    submission_accept(submission=_submit(alpha, "areas.geojson"), by=None)
    # when a file moves A-1 later and to homes passed, drops A-2 and adds A-4
    data = json.loads((PLANS / "valid" / "areas.geojson").read_text())
    a1, _a2, a3 = data["features"]
    a1["properties"].update({"status": "Homes passed", "quartal": "Q4/2028"})
    a4 = json.loads(json.dumps(a3))
    a4["properties"]["id"] = "A-4"
    a4["geometry"]["coordinates"] = [[[347000, 5696000], [348000, 5696000], [348000, 5697000], [347000, 5696000]]]
    data["features"] = [a1, a3, a4]
    path = tmp_path / "v2.geojson"
    path.write_text(json.dumps(data))
    client.force_login(users["member"])
    with path.open("rb") as handle:
        location = client.post("/ausbau/anbieter/alpha/hochladen/", {"file": handle})["Location"]
    html = client.get(location).content.decode()
    # then the table names each change
    assert "1 Gebiet hinzugefügt" in html
    assert "1 Gebiet entfernt" in html
    assert "1 Gebiet mit verschobenem Termin" in html
    assert "später (verschoben)" in html
    assert "1 Gebiet mit geändertem Ausbaustand" in html
    assert "<td>Im Bau</td><td>Glasfaser in der Straße</td>" in html
    assert "<td>Q3/2028</td><td>Q4/2028</td>" in html  # the quarters as providers write them
    # and the map draws the three kinds with the vendored Leaflet only, and the legend repeats them
    assert re.search(r'<script[^>]+src="/static/vendor/leaflet-1\.9\.4/leaflet(\.[0-9a-f]{12})?\.js"', html)
    assert "unpkg" not in html
    assert "cdn" not in html.lower()
    for kind in ("Hinzugefügt", "Entfernt", "Geändert"):
        assert f'"kind": {htmlsafe_json_dumps(kind)}' in html
    assert 'stroke-dasharray="10 6"' in html  # removed: dashed in the legend as in the map
    nonce = re.search(r'<script nonce="([^"]+)"', html).group(1)
    assert all(f'nonce="{nonce}"' in tag for tag in re.findall(r"<script\b(?![^>]*\bsrc=)[^>]*>", html))


def test_address_list_changes_show_the_addresses(client, users, alpha, tmp_path):
    AddressFactory(street="Schloßstraße", house_number=1, postcode="45468")
    AddressFactory(street="Schloßstraße", house_number=2, house_number_suffix="a", postcode="45468")
    submission = _submit(alpha, "addresses.csv")
    assert submission.state == PlanSubmission.State.RECEIVED, submission.report
    client.force_login(users["planner"])
    html = client.get(f"/ausbau/einreichungen/{submission.pk}/").content.decode()
    assert "1 Gebiet hinzugefügt" in html
    assert '"type": "Point"' in html or '"type":"Point"' in html  # the addresses drawn as points


# --- languages -------------------------------------------------------------------------------------------------------


def test_pages_in_english_under_en(client, users, received):
    client.force_login(users["member"])
    html = client.get("/en/ausbau/anbieter/alpha/").content.decode()
    assert 'lang="en"' in html
    assert "Rollout plans of Alpha Netz" in html
    assert "Hand in a plan" in html
    html = client.get(f"/en/ausbau/einreichungen/{received.pk}/").content.decode()
    assert "Validation report" in html
    assert "3 areas added" in html
    assert escape("Rollout plans of Alpha Netz") in html
