"""The coordination pages over HTTP: who reaches which page and export, what bad input gets, what is escaped."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from django.utils import timezone
from procrastinate.contrib.django.models import ProcrastinateJob

from coordination.models import MatchNotification, Roadworks, RoadworksImport
from tests.coordination.conftest import ROADWORKS, box, line, works
from tests.factories import UserFactory


@pytest.fixture
def site(plans, owner) -> dict:
    """Works that conflict with A (Alpha, published) and B (Beta, unpublished), relative to today."""
    today = timezone.localdate()
    everything = box(345000, 5695000, 355000, 5705000)
    # A and B are planned in Q3/2027; the ban from the end of these works covers them.
    banned = works(
        owner,
        "Deckenerneuerung <b>Ring</b>",
        everything,
        today - timedelta(days=90),
        today - timedelta(days=30),
        ban=date(2035, 1, 1),
    )
    record = RoadworksImport.objects.create(
        owner=owner, original_name="x.geojson", state="invalid", received_at=timezone.now(), report=[]
    )
    jobs_before = list(ProcrastinateJob.objects.values_list("id", flat=True))
    return {**plans, "works": banned, "import": record, "jobs_before": jobs_before}


def pages(site) -> dict[str, list[str]]:
    pk, record = site["works"].pk, site["import"].pk
    area = site["areas"]["A"].pk
    query = f"art=conflict&baustelle={pk}&gebiet={area}&abstand=50&monate=6"
    notify = f"/koordination/mitverlegung/benachrichtigen/?{query}"
    return {
        "planner_only": [
            "/koordination/baustellen/",
            "/koordination/baustellen/neu/",
            f"/koordination/baustellen/importe/{record}/",
            f"/koordination/baustellen/{pk}/",
            f"/koordination/baustellen/{pk}/bearbeiten/",
            notify,
        ],
        "members_too": ["/koordination/mitverlegung/", "/koordination/mitverlegung/export.csv"],
        "posts": [
            "/koordination/baustellen/traeger/",
            "/koordination/baustellen/import/",
            "/koordination/baustellen/neu/",
            f"/koordination/baustellen/{pk}/bearbeiten/",
            f"/koordination/baustellen/{pk}/loeschen/",
            "/koordination/mitverlegung/benachrichtigen/",
        ],
    }


def test_anonymous_visitors_are_sent_to_the_login_from_every_page_and_export(client, site):
    urls = pages(site)
    for url in ["/koordination/", *urls["planner_only"], *urls["members_too"]]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/konto/anmelden/?next="), url
    for url in urls["posts"]:
        assert client.post(url).status_code == 302, url
    assert Roadworks.objects.filter(pk=site["works"].pk).exists()


def test_users_without_a_role_get_404_everywhere(client, site):
    client.force_login(UserFactory())
    urls = pages(site)
    for url in ["/koordination/", *urls["planner_only"], *urls["members_too"]]:
        assert client.get(url).status_code == 404, url
    for url in urls["posts"]:
        assert client.post(url).status_code == 404, url


@pytest.mark.parametrize("member", ["alpha_member", "beta_member"])
def test_provider_members_reach_their_matches_only(client, site, member):
    client.force_login(site[member])
    urls = pages(site)
    assert client.get("/koordination/").url == "/koordination/mitverlegung/"
    for url in urls["planner_only"]:
        assert client.get(url).status_code == 404, url
    for url in urls["posts"]:
        assert client.post(url).status_code == 404, url
    assert Roadworks.objects.filter(pk=site["works"].pk).exists()
    page = client.get("/koordination/mitverlegung/").content.decode()
    exported = b"".join(client.get("/koordination/mitverlegung/export.csv").streaming_content).decode()
    own, other = ("Alpha Netz", "Beta Glas") if member == "alpha_member" else ("Beta Glas", "Alpha Netz")
    assert own in page
    assert own in exported
    # The other provider's plan (Beta's is unpublished) never shows: not in the page, the map, the export.
    assert other not in page
    assert other not in exported
    assert "benachrichtigen" not in page  # notifying is the planners' job


def test_planners_reach_every_page(client, site):
    client.force_login(site["planner"])
    urls = pages(site)
    for url in ["/koordination/", *urls["planner_only"], *urls["members_too"], "/en/koordination/mitverlegung/"]:
        assert client.get(url).status_code == 200, url
    page = client.get("/koordination/mitverlegung/").content.decode()
    assert "Alpha Netz" in page
    assert "Beta Glas" in page


def test_the_match_list_counts_filters_and_exports_what_it_shows(client, site):
    client.force_login(site["planner"])
    page = client.get("/en/koordination/mitverlegung/?art=konflikte&anbieter=beta").content.decode()
    assert "1 conflict: fibre planned where the street may not be opened" in page
    assert "Chances to lay fibre together" not in page
    rows = list(csv.DictReader(io.StringIO(b"".join(
        client.get("/koordination/mitverlegung/export.csv?art=konflikte&anbieter=beta").streaming_content
    ).decode())))  # fmt: skip
    assert [(r["kind"], r["provider_slug"], r["area_key"], r["published"]) for r in rows] == [
        ("conflict", "beta", "B", "no")
    ]
    everything = list(csv.DictReader(io.StringIO(b"".join(
        client.get("/koordination/mitverlegung/export.csv?art=konflikte").streaming_content
    ).decode())))  # fmt: skip
    assert sorted(r["area_key"] for r in everything) == ["A", "B", "C"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("abstand=zehn", "Enter the distance as a whole number of metres."),
        ("abstand=-5", "The distance cannot be negative."),
        ("abstand=5000", "At most 1000 metres."),
        ("monate=99", "At most 36 months."),
        ("sortierung=%3Cscript%3E", "Select a valid choice."),
        ("anbieter=gibt-es-nicht", "Select a valid choice."),
    ],
)
def test_bad_filter_values_get_a_400_that_says_what_is_wrong(client, site, query, message):
    client.force_login(site["planner"])
    response = client.get(f"/en/koordination/mitverlegung/?{query}")
    assert response.status_code == 400
    assert message in response.content.decode()
    exported = client.get(f"/en/koordination/mitverlegung/export.csv?{query}")
    assert exported.status_code == 400
    assert message in exported.content.decode()


def test_hostile_text_is_escaped_on_pages_and_kept_as_text_in_the_csv(client, site, owner):
    site["works"].title = '=HYPERLINK("http://x")<script>alert(1)</script>'
    site["works"].save()
    client.force_login(site["planner"])
    for url in [
        "/koordination/mitverlegung/",
        "/koordination/baustellen/",
        f"/koordination/baustellen/{site['works'].pk}/",
    ]:
        body = client.get(url).content.decode()
        assert "<script>alert(1)" not in body, url
        assert "&lt;script&gt;alert(1)" in body, url
    exported = b"".join(client.get("/koordination/mitverlegung/export.csv").streaming_content).decode()
    assert "'=HYPERLINK" in exported


def test_a_broken_file_gets_its_report_page_with_400_and_nothing_is_stored(client, site, owner):
    client.force_login(site["planner"])
    before = Roadworks.objects.count()
    with (ROADWORKS / "invalid" / "bad_dates.csv").open("rb") as handle:
        response = client.post("/en/koordination/baustellen/import/", {"owner": owner.pk, "file": handle})
    assert response.status_code == 400
    body = response.content.decode()
    assert "The file has 3 errors and was not imported" in body
    assert "works end before they start" in body
    assert "irgendwann" in body
    assert Roadworks.objects.count() == before


def test_a_good_file_is_imported_and_its_report_shown(client, site, owner):
    client.force_login(site["planner"])
    with (ROADWORKS / "valid" / "roadworks.geojson").open("rb") as handle:
        response = client.post("/en/koordination/baustellen/import/", {"owner": owner.pk, "file": handle}, follow=True)
    assert response.status_code == 200
    assert "The file was imported: 3 new, 0 updated, 0 removed." in response.content.decode()
    assert Roadworks.objects.filter(owner=owner, source="import").count() == 3


def test_the_import_form_says_what_is_missing(client, site, owner):
    client.force_login(site["planner"])
    response = client.post("/en/koordination/baustellen/import/", {"owner": owner.pk})
    assert response.status_code == 400
    assert "Choose a file to import." in response.content.decode()
    with (ROADWORKS / "valid" / "roadworks.geojson").open("rb") as handle:
        response = client.post("/en/koordination/baustellen/import/", {"owner": 999999, "file": handle})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()


WKT = "LINESTRING (6.8791 51.4278, 6.8822 51.4281)"


def _form(owner, **changes) -> dict:
    data = {
        "owner": owner.pk,
        "sector": "water",
        "title": "Wasserleitung Kirchstraße",
        "reference": "W-99",
        "description": "",
        "start_date": "2031-05-01",
        "end_date": "2031-06-30",
        "dig_ban_until": "",
        "geometry": WKT,
        "crs": "",
    }
    return {**data, **changes}


def test_works_entered_in_the_form_are_saved_in_the_citys_crs(client, site, owner):
    client.force_login(site["planner"])
    response = client.post("/en/koordination/baustellen/neu/", _form(owner))
    assert response.status_code == 302
    saved = Roadworks.objects.get(reference="W-99")
    assert (saved.source, saved.geom.srid, saved.geom.geom_type) == ("form", 25832, "MultiLineString")
    assert 200 < saved.geom.length < 230  # about 216 m between the two points
    assert response["Location"] == f"/en/koordination/baustellen/{saved.pk}/"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"geometry": "LINESTRING (6.87 51.42,"}, "geometry", "unreadable WKT"),
        ({"geometry": "POINT (13.40 52.52)"}, "geometry", "feature lies outside the city"),
        ({"geometry": "LINESTRING (6.88 51.42, 6.88 51.42)"}, "geometry", "a line without length"),
        ({"geometry": "LINESTRING (500 500, 600 600)"}, "geometry", "missing coordinate reference system"),
        ({"end_date": "2031-04-01"}, "end_date", "The works end before they start."),
        ({"dig_ban_until": "2031-06-01"}, "dig_ban_until", "The dig ban must not end before the works end."),
        ({"start_date": "31.02.2031"}, "start_date", "Enter a valid date"),
        ({"title": ""}, "title", "Give the works a title."),
    ],
)
def test_the_form_says_what_is_wrong_and_where(client, site, owner, changes, field, message):
    client.force_login(site["planner"])
    response = client.post("/en/koordination/baustellen/neu/", _form(owner, **changes))
    assert response.status_code == 400
    body = response.content.decode()
    assert message in body
    assert f'href="#id_{field}"' in body  # the error summary links to the field
    assert not Roadworks.objects.filter(reference="W-99").exists()


def test_a_reference_is_unique_per_owner(client, site, owner):
    client.force_login(site["planner"])
    assert client.post("/en/koordination/baustellen/neu/", _form(owner)).status_code == 302
    response = client.post("/en/koordination/baustellen/neu/", _form(owner))
    assert response.status_code == 400
    assert "this owner already has works with this reference" in response.content.decode()


def test_the_page_of_works_that_meet_no_plan_shows_them_alone(client, site, owner):
    alone = works(owner, "Abseits", line((345100, 5704800), (345300, 5704800)), date(2031, 1, 1), date(2031, 2, 1))
    client.force_login(site["planner"])
    body = client.get(f"/en/koordination/baustellen/{alone.pk}/").content.decode()
    assert "No planned fibre construction conflicts with these works" in body
    assert "Works without a match" in body  # its layer on the map and in the legend


def test_works_are_changed_and_deleted_by_planners(client, site, owner):
    client.force_login(site["planner"])
    client.post("/en/koordination/baustellen/neu/", _form(owner))
    saved = Roadworks.objects.get(reference="W-99")
    response = client.post(
        f"/en/koordination/baustellen/{saved.pk}/bearbeiten/", _form(owner, title="Neu", dig_ban_until="2034-06-30")
    )
    assert response.status_code == 302
    saved.refresh_from_db()
    assert (saved.title, saved.dig_ban_until) == ("Neu", date(2034, 6, 30))
    assert client.post(f"/en/koordination/baustellen/{saved.pk}/loeschen/").status_code == 302
    assert not Roadworks.objects.filter(pk=saved.pk).exists()


def _new_mail_jobs(site):
    """Mail jobs queued during this test (the queue's table is shared with the transactional tests' worker)."""
    return ProcrastinateJob.objects.filter(task_name="geoportal.mail_send").exclude(id__in=site["jobs_before"])


def _notify_query(site, area="A") -> dict:
    return {
        "art": "conflict",
        "baustelle": site["works"].pk,
        "gebiet": site["areas"][area].pk,
        "abstand": 50,
        "monate": 6,
    }


def test_a_notification_is_queued_once_per_form_even_when_posted_twice(client, site):
    from tests.factories import member_of

    member = member_of(site["alpha"])
    member.email = "netz@alpha.example"
    member.save()
    client.force_login(site["planner"])
    page = client.get("/en/koordination/mitverlegung/benachrichtigen/", _notify_query(site))
    assert page.status_code == 200
    body = page.content.decode()
    assert "tiefbau@stadt.example" in body
    assert "netz@alpha.example" in body
    token = page.context["form"]["token"].value()
    data = {**_notify_query(site), "token": token, "message": "Bitte abstimmen."}
    first = client.post("/en/koordination/mitverlegung/benachrichtigen/", data, follow=True)
    assert "The notification is on its way to tiefbau@stadt.example, netz@alpha.example." in first.content.decode()
    second = client.post("/en/koordination/mitverlegung/benachrichtigen/", data, follow=True)
    assert "This notification was sent already; it was not sent again." in second.content.decode()
    (sent,) = MatchNotification.objects.all()
    assert (sent.kind, sent.area_key, sent.provider_name, sent.recipients) == (
        "conflict", "A", "Alpha Netz", ["tiefbau@stadt.example", "netz@alpha.example"],
    )  # fmt: skip
    jobs = _new_mail_jobs(site)
    assert sorted(tuple(j.args["to"]) for j in jobs) == [("netz@alpha.example",), ("tiefbau@stadt.example",)]
    # The works' page records it; the list marks the match as notified.
    assert "netz@alpha.example" in client.get(f"/en/koordination/baustellen/{site['works'].pk}/").content.decode()


def test_the_owners_mail_leaves_out_an_unpublished_plan(client, site):
    from tests.factories import member_of

    member = member_of(site["beta"])
    member.email = "plan@beta.example"
    member.save()
    client.force_login(site["planner"])
    page = client.get("/en/koordination/mitverlegung/benachrichtigen/", _notify_query(site, "B"))
    assert "The provider's plan is not published yet" in page.content.decode()
    token = page.context["form"]["token"].value()
    client.post(
        "/en/koordination/mitverlegung/benachrichtigen/", {**_notify_query(site, "B"), "token": token, "message": ""}
    )
    texts = {tuple(j.args["to"]): j.args["text"] for j in _new_mail_jobs(site)}
    to_owner, to_provider = texts[("tiefbau@stadt.example",)], texts[("plan@beta.example",)]
    assert "Beta Glas" not in to_owner
    assert "Gebiet B" not in to_owner
    assert "Geplanter Glasfaserbau: 01.07.2027 bis 30.09.2027" in to_owner  # the mails are German
    assert "Beta Glas, Gebiet B" in to_provider


def test_a_notification_needs_a_real_match_and_someone_to_tell(client, site, owner):
    client.force_login(site["planner"])
    assert client.get("/en/koordination/mitverlegung/benachrichtigen/").status_code == 400
    assert (
        client.get(
            "/en/koordination/mitverlegung/benachrichtigen/", {**_notify_query(site), "art": "chance"}
        ).status_code
        == 404
    )
    assert (
        client.get(
            "/en/koordination/mitverlegung/benachrichtigen/", {**_notify_query(site), "gebiet": site["areas"]["D"].pk}
        ).status_code
        == 404
    )
    owner.contact_email = ""
    owner.save()
    page = client.get("/en/koordination/mitverlegung/benachrichtigen/", _notify_query(site))
    assert "Nobody can be notified" in page.content.decode()
    token = page.context["form"]["token"].value()
    response = client.post("/en/koordination/mitverlegung/benachrichtigen/", {**_notify_query(site), "token": token})
    assert response.status_code == 400
    assert "nobody to notify" in response.content.decode()
    assert not MatchNotification.objects.exists()
    assert not _new_mail_jobs(site).exists()
