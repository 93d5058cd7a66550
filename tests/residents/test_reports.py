"""Reports ("Fehler melden"): filing, routing, who sees them, answering, deadlines — services and pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from geoportal.errors import InvalidInputError, PermissionDeniedError
from residents.models import Report
from residents.reports import services
from residents.tokens import token_hash
from tests.factories import member_of, planner
from tests.residents.conftest import HOSTILE, link_token, queued_mails

REPORT_A1 = "/adresse/45468/schlossstrasse/1/fehler-melden/"


def _member(provider, email: str):
    user = member_of(provider)
    user.email = email
    user.save()
    return user


def _planner(email: str = "planung@stadt.example"):
    user = planner()
    user.email = email
    user.save()
    return user


def _file(world, **kwargs) -> tuple[Report, str]:
    values = {
        "category": Report.Category.NOT_BOOKABLE,
        "text": "Angeblich buchbar, aber die Hotline sagt nein.",
        "address": world.a1,
        "provider": world.beta,
        "language": "de",
    } | kwargs
    return services.report_file(**values)


def test_a_report_reaches_the_providers_members_with_an_address_and_its_deadline(world, settings):
    settings.REPORT_RESPONSE_DAYS = 14
    _member(world.beta, "team@beta.example")
    _member(world.beta, "")  # no address: not mailed
    _member(world.alpha, "team@alpha.example")  # another provider: not mailed
    report, token = _file(world, email="anwohner@example.org")
    assert report.address_text == "Schloßstraße 1, 45468 Mülheim an der Ruhr"
    assert report.status_hash == token_hash(token)
    assert report.due_at - report.created_at == timedelta(days=14)
    routed, received = queued_mails()
    assert routed["to"] == ["team@beta.example"]
    assert routed["subject"] == "Neue Meldung zu Schloßstraße 1, 45468 Mülheim an der Ruhr"
    assert f"http://127.0.0.1:8000/ausbau/meldungen/{report.pk}/" in routed["text"]
    assert "anwohner@example.org" not in routed["text"]  # providers never see the resident's address
    assert received["to"] == ["anwohner@example.org"]
    assert link_token(received["text"], "/meldung/") == token


def test_a_report_without_provider_goes_to_the_city(world):
    _planner()
    _member(world.beta, "team@beta.example")
    _file(world, provider=None)
    [routed] = queued_mails()
    assert routed["to"] == ["planung@stadt.example"]


def test_a_provider_without_availability_there_cannot_be_chosen(world):
    with pytest.raises(InvalidInputError):
        _file(world, address=world.a3, provider=world.alpha)  # alpha has nothing at A3 (beta's v2 is unpublished)
    with pytest.raises(InvalidInputError):
        _file(world, address=world.a3, provider=world.beta)
    assert not Report.objects.exists()


def test_answering_tells_the_resident_and_forgets_their_address(world):
    member = _member(world.beta, "team@beta.example")
    report, _token = _file(world, email="anwohner@example.org")
    answered = services.report_answer(report=report, by=member, status="conceded", answer="Wir korrigieren das.")
    assert answered.status == "conceded"
    assert answered.answered_by == member
    assert answered.email == ""
    mail = queued_mails()[-1]
    assert mail["to"] == ["anwohner@example.org"]
    assert "Wir korrigieren das." in mail["text"]
    with pytest.raises(InvalidInputError):
        services.report_answer(report=report, by=member, status="disputed", answer="Doch nicht.")


def test_another_providers_member_may_not_answer(world):
    report, _token = _file(world)
    with pytest.raises(PermissionDeniedError):
        services.report_answer(report=report, by=member_of(world.alpha), status="disputed", answer="Nein.")
    with pytest.raises(InvalidInputError):
        services.report_answer(report=report, by=member_of(world.beta), status="conceded", answer="  ")


def test_overdue_reports_are_mailed_to_the_planners_once(world):
    _planner("a@stadt.example")
    _planner("b@stadt.example")
    late, _ = _file(world)
    _file(world)  # not yet due
    Report.objects.filter(pk=late.pk).update(due_at=timezone.now() - timedelta(hours=1))
    before = len(queued_mails())
    assert services.reports_overdue_flag() == 1
    mails = queued_mails()[before:]
    assert sorted(m["to"][0] for m in mails) == ["a@stadt.example", "b@stadt.example"]
    assert mails[0]["subject"].startswith("Frist abgelaufen: Meldung zu Schloßstraße 1")
    assert services.reports_overdue_flag() == 0
    assert len(queued_mails()) == before + 2


def test_answered_reports_are_deleted_after_a_year_open_ones_stay(world):
    member = member_of(world.beta)
    old, _ = _file(world)
    services.report_answer(report=old, by=member, status="disputed", answer="Stimmt so.")
    Report.objects.filter(pk=old.pk).update(answered_at=timezone.now() - timedelta(days=366))
    still_open, _ = _file(world)
    Report.objects.filter(pk=still_open.pk).update(created_at=timezone.now() - timedelta(days=800))
    assert services.reports_prune() == 1
    assert list(Report.objects.values_list("pk", flat=True)) == [still_open.pk]


# -- pages ---------------------------------------------------------------------------------------------------


def test_the_form_offers_the_providers_with_published_plans_there_and_the_city(world, client):
    html = client.get(REPORT_A1).content.decode()
    assert "Alpha &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Söhne" in html
    assert "<script>alert" not in html
    assert "Beta Glasfaser" in html
    assert "Weiß ich nicht – die Stadt leitet es weiter" in html
    assert 'href="/datenschutz/"' in html
    # at A3 only beta's unpublished version would have something: no provider to choose
    a3 = client.get("/adresse/45481/duesseldorfer-strasse/3/fehler-melden/").content.decode()
    assert "Beta Glasfaser" not in a3
    assert 'name="provider"' not in a3


def test_filing_redirects_to_the_private_status_page(world, client):
    response = client.post(
        REPORT_A1, {"category": "wrong_stage", "provider": str(world.alpha.pk), "text": "<b>fett</b>", "email": ""}
    )
    assert response.status_code == 302
    status_url = response["Location"]
    assert status_url.startswith("/meldung/")
    assert status_url.endswith("/?neu=1")
    page = client.get(status_url)
    html = page.content.decode()
    assert "Danke, Ihre Meldung ist gesendet." in html
    assert "&lt;b&gt;fett&lt;/b&gt;" in html
    assert "Wartet auf Antwort" in html
    assert page["Cache-Control"] == "private, no-store"
    assert '<meta name="robots" content="noindex">' in html
    report = Report.objects.get()
    assert (report.category, report.provider, report.email) == ("wrong_stage", world.alpha, "")
    assert client.get("/meldung/" + "A" * 43 + "/").status_code == 404


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"text": "x"}, "Bitte wählen Sie, was nicht stimmt."),
        ({"category": "erfunden"}, "Bitte eine gültige Auswahl treffen."),
        ({"category": "other", "text": " "}, "Bitte beschreiben Sie, was nicht stimmt."),
        ({"category": "other", "text": "x" * 2001}, "Bitte schreiben Sie höchstens 2000 Zeichen."),
        ({"category": "wrong_stage", "provider": "999999"}, "Bitte eine gültige Auswahl treffen."),
        ({"category": "wrong_stage", "email": "nicht-gültig"}, "oder lassen Sie das Feld leer"),
        ({"category": "wrong_stage", "text": "a\x00b"}, "Nullzeichen"),
        ({"category": "wrong_stage", "leer_lassen": "spam"}, "Bitte lassen Sie das letzte Feld leer."),
    ],
)
def test_bad_reports_are_a_400_with_the_message_on_the_form(world, client, data, message):
    response = client.post(REPORT_A1, data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Report.objects.exists()


def test_reports_past_the_rate_limit_answer_429(world, client, settings):
    settings.RATELIMIT_FORMS = "2/h"
    data = {"category": "wrong_stage"}
    assert [client.post(REPORT_A1, data).status_code for _ in range(3)] == [302, 302, 429]
    assert Report.objects.count() == 2


def test_a_missing_address_from_the_street_page_goes_to_the_city_or_a_provider_on_that_street(world, client):
    page = client.get("/fehler-melden/adresse-fehlt/?plz=45468&strasse=schlossstrasse")
    html = page.content.decode()
    assert 'value="Schloßstraße, 45468"' in html
    assert "Beta Glasfaser" in html
    response = client.post(
        "/fehler-melden/adresse-fehlt/",
        {"plz": "45468", "strasse": "schlossstrasse", "address_text": "Schloßstraße 1a\n", "provider": ""},
    )
    assert response.status_code == 302
    report = Report.objects.get()
    assert (report.category, report.address, report.address_text, report.provider) == (
        "address_missing",
        None,
        "Schloßstraße 1a",
        None,
    )
    assert client.post("/fehler-melden/adresse-fehlt/", {"address_text": ""}).status_code == 400
    # a search without a match knows no street: the form still works
    assert client.get("/fehler-melden/adresse-fehlt/").status_code == 200


def _logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_provider_sees_its_reports_and_another_provider_gets_404(world):
    report, _ = _file(world)
    beta, alpha = _logged_in(member_of(world.beta)), _logged_in(member_of(world.alpha))
    listing = beta.get("/ausbau/anbieter/beta/meldungen/")
    assert listing.status_code == 200
    assert f'href="/ausbau/meldungen/{report.pk}/"' in listing.content.decode()
    assert beta.get(f"/ausbau/meldungen/{report.pk}/").status_code == 200
    # alpha's member: beta's list and beta's report do not exist for them
    assert alpha.get("/ausbau/anbieter/beta/meldungen/").status_code == 404
    assert alpha.get(f"/ausbau/meldungen/{report.pk}/").status_code == 404
    assert alpha.post(f"/ausbau/meldungen/{report.pk}/", {"status": "disputed", "answer": "x"}).status_code == 404
    assert alpha.get("/ausbau/anbieter/alpha/meldungen/").content.decode().count("/ausbau/meldungen/") == 0
    # the planners' list is the planners'
    assert beta.get("/ausbau/meldungen/").status_code == 403
    assert Client().get("/ausbau/meldungen/").status_code == 302  # to the sign-in


def test_the_provider_answers_in_its_workspace_and_the_resident_reads_it(world, client):
    report, token = _file(world, email="anwohner@example.org")
    beta = _logged_in(member_of(world.beta))
    bad = beta.post(f"/ausbau/meldungen/{report.pk}/", {"status": "disputed", "answer": ""})
    assert bad.status_code == 400
    assert "Bitte schreiben Sie, was Sie korrigieren oder warum die Meldung nicht stimmt." in bad.content.decode()
    done = beta.post(
        f"/ausbau/meldungen/{report.pk}/", {"status": "disputed", "answer": "Der Anschluss <i>ist</i> frei."}
    )
    assert done.status_code == 302
    html = client.get(f"/meldung/{token}/").content.decode()
    assert "Widersprochen" in html
    assert "Der Anschluss &lt;i&gt;ist&lt;/i&gt; frei." in html
    assert "Answer to your report" not in queued_mails()[-1]["subject"]
    assert queued_mails()[-1]["subject"] == "Antwort auf Ihre Meldung zu Schloßstraße 1, 45468 Mülheim an der Ruhr"


def test_the_planners_list_flags_overdue_reports_and_shows_every_provider(world):
    late, _ = _file(world)
    _file(world, provider=None, category=Report.Category.OTHER, text=HOSTILE)
    Report.objects.filter(pk=late.pk).update(due_at=timezone.now() - timedelta(days=1))
    page = _logged_in(_planner()).get("/ausbau/meldungen/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "1 Meldung ist überfällig." in html
    assert html.count('class="state state-overdue"') == 1
    assert "Beta Glasfaser" in html
    assert "die Stadt" in html
    # the planners' navigation links the list
    assert 'href="/ausbau/meldungen/" aria-current="page"' in html


def test_the_admin_lists_subscriptions_and_reports_without_their_secrets(world, admin_client):
    from residents.follow.services import subscription_request

    subscription = subscription_request(email="anna@example.org", target=world.a1, language="de")
    report, token = _file(world)
    for url in (
        "/admin/residents/subscription/",
        f"/admin/residents/subscription/{subscription.pk}/change/",
        "/admin/residents/report/",
        f"/admin/residents/report/{report.pk}/change/",
    ):
        page = admin_client.get(url)
        assert page.status_code == 200, url
        html = page.content.decode()
        assert token not in html
        assert report.status_hash not in html
        assert subscription.confirm_hash not in html
    assert "Meldungen" in admin_client.get("/admin/").content.decode()
