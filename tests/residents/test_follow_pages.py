"""Following over HTTP: the form (errors, honeypot, rate limit), confirm and unsubscribe pages, the Atom feeds."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from django.test import Client

from residents.follow import services
from residents.models import Subscription
from rollout.models import Provider
from tests.residents.conftest import HOSTILE, alpha_moves_on, link_token, queued_mails

FOLLOW_A1 = "/adresse/45468/schlossstrasse/1/folgen/"
ATOM = "{http://www.w3.org/2005/Atom}"


def test_the_follow_page_names_the_target_and_links_privacy_and_feed(world, client):
    page = client.get(FOLLOW_A1)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Schloßstraße 1, 45468 Mülheim an der Ruhr folgen" in html
    assert 'href="/datenschutz/"' in html
    assert 'href="/adresse/45468/schlossstrasse/1/feed.atom"' in html
    assert client.get("/bezirke/rechtsruhr-sued/folgen/").status_code == 200
    assert client.get("/bezirke/gibt-es-nicht/folgen/").status_code == 404
    assert client.get("/adresse/45468/schlossstrasse/999/folgen/").status_code == 404


def test_following_redirects_with_the_same_message_whether_or_not_one_follows_already(world, client):
    first = client.post(FOLLOW_A1, {"email": "anna@example.org"}, follow=True)
    token = link_token(queued_mails()[0]["text"], "/abo/bestaetigen/")
    services.subscription_confirm(token=token)
    again = client.post(FOLLOW_A1, {"email": "anna@example.org"}, follow=True)
    assert first.redirect_chain == again.redirect_chain == [(FOLLOW_A1, 302)]

    def message(response) -> str:
        return response.content.decode().split('class="messages"')[1].split("</div>")[0]

    assert message(first) == message(again)
    assert "Wir haben eine E-Mail an anna@example.org geschickt" in message(first)
    assert Subscription.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email": ""}, "Bitte geben Sie Ihre E-Mail-Adresse ein."),
        ({"email": "kein-at-zeichen"}, "Bitte geben Sie eine E-Mail-Adresse wie name@example.de ein."),
        ({"email": "a@" + "x" * 300 + ".de"}, "Bitte geben Sie eine E-Mail-Adresse wie name@example.de ein."),
        ({"email": "bot@example.org", "leer_lassen": "http://spam.example"}, "Bitte lassen Sie das letzte Feld leer."),
    ],
)
def test_bad_input_is_a_400_with_the_message_on_the_form_and_nothing_stored(world, client, data, message):
    response = client.post(FOLLOW_A1, data)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert 'class="error-summary"' in html
    assert not Subscription.objects.exists()
    assert queued_mails() == []


def test_past_the_rate_limit_the_form_answers_429(world, client, settings):
    settings.RATELIMIT_FORMS = "3/h"
    statuses = [client.post(FOLLOW_A1, {"email": f"n{i}@example.org"}).status_code for i in range(4)]
    assert statuses == [302, 302, 302, 429]
    assert client.post(FOLLOW_A1, {"email": "x@example.org"})["Retry-After"] == "60"
    # reading the page is not limited
    assert client.get(FOLLOW_A1).status_code == 200


def test_confirming_takes_a_click_not_just_opening_the_link(world, client):
    client.post(FOLLOW_A1, {"email": "anna@example.org"})
    url = f"/abo/bestaetigen/{link_token(queued_mails()[0]['text'], '/abo/bestaetigen/')}/"
    page = client.get(url)
    assert page.status_code == 200
    assert "Ja, bestätigen" in page.content.decode()
    assert page["Cache-Control"] == "private, no-store"
    assert Subscription.objects.get().confirmed_at is None
    done = client.post(url)
    assert done.status_code == 200
    assert "Abo bestätigt" in done.content.decode()
    assert Subscription.objects.get().confirmed_at is not None
    assert client.get("/abo/bestaetigen/" + "A" * 43 + "/").status_code == 404
    assert client.get("/abo/bestaetigen/kurz/").status_code == 404


def test_one_click_unsubscribe_is_a_post_without_csrf_token_as_mail_clients_send_it(world):
    Client().post(FOLLOW_A1, {"email": "anna@example.org"})
    mail = queued_mails()[0]
    url = mail["headers"]["List-Unsubscribe"].strip("<>").removeprefix("http://127.0.0.1:8000")
    strict = Client(enforce_csrf_checks=True)
    # a link scanner's GET unsubscribes nobody: it shows one button
    page = strict.get(url)
    assert page.status_code == 200
    assert "Abmelden" in page.content.decode()
    assert Subscription.objects.exists()
    # RFC 8058: POST with the body "List-Unsubscribe=One-Click", no cookie, no token
    done = strict.post(url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    assert done.status_code == 200
    assert not Subscription.objects.exists()
    # again: the link is gone, and the page says what that can mean
    gone = strict.post(url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    assert gone.status_code == 404
    assert "Sie haben sich schon abgemeldet" in gone.content.decode()


def test_pages_in_english_and_mails_in_the_language_of_the_request(world, client):
    page = client.get("/en" + FOLLOW_A1)
    assert "Follow Schloßstraße 1" in page.content.decode()
    client.post("/en" + FOLLOW_A1, {"email": "anna@example.org"})
    mail = queued_mails()[0]
    assert mail["subject"].startswith("Please confirm")
    assert "http://127.0.0.1:8000/en/abo/bestaetigen/" in mail["text"]
    assert Subscription.objects.get().language == "en"


def _atom(response) -> ET.Element:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    return ET.fromstring(response.content)


def test_the_address_feed_has_one_entry_per_published_change_with_absolute_links(world, client):
    version = alpha_moves_on(world)
    feed = _atom(client.get("/adresse/45468/schlossstrasse/1/feed.atom"))
    assert feed.find(f"{ATOM}title").text == "Glasfaserausbau: Schloßstraße 1, 45468 Mülheim an der Ruhr"
    links = {link.get("rel"): link.get("href") for link in feed.findall(f"{ATOM}link")}
    assert links == {
        "alternate": "http://127.0.0.1:8000/adresse/45468/schlossstrasse/1/",
        "self": "http://127.0.0.1:8000/adresse/45468/schlossstrasse/1/feed.atom",
    }
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 2  # the first publication, and alpha's version 2
    newest = entries[0]
    assert newest.find(f"{ATOM}published").text.startswith(version.published_at.isoformat()[:19])
    summary = newest.find(f"{ATOM}summary").text  # HTML, as text of the element
    assert "Stand: vorher „Geplant“, jetzt „Im Bau“" in summary
    assert "&lt;script&gt;" in summary
    assert "<script>" not in summary
    assert "Buchbar" not in ET.tostring(feed, encoding="unicode")  # beta's unpublished version
    assert len({e.find(f"{ATOM}id").text for e in entries}) == 2


def test_the_district_feed_summarises_per_provider(world, client):
    alpha_moves_on(world)
    feed = _atom(client.get("/bezirke/rechtsruhr-sued/feed.atom"))
    newest = feed.findall(f"{ATOM}entry")[0].find(f"{ATOM}summary").text
    assert "2 Adressen jetzt: Im Bau" in newest
    assert "Zum Beispiel: Gartenweg, Schloßstraße" in newest
    english = _atom(client.get("/en/bezirke/rechtsruhr-sued/feed.atom"))
    assert "2 addresses now: Under construction" in english.findall(f"{ATOM}entry")[0].find(f"{ATOM}summary").text
    assert client.get("/bezirke/gibt-es-nicht/feed.atom").status_code == 404


def test_feeds_stay_valid_xml_with_control_characters_and_markup_in_a_providers_name(world, client):
    Provider.objects.filter(pk=world.alpha.pk).update(name=HOSTILE + "\x0b\x1b]8;;\x7f")
    alpha_moves_on(world)
    feed = _atom(client.get("/adresse/45468/schlossstrasse/1/feed.atom"))
    summary = feed.findall(f"{ATOM}entry")[0].find(f"{ATOM}summary").text
    assert "Alpha &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Söhne]8;;\x7f" in summary


def test_the_snippets_for_the_address_and_district_pages_post_to_working_forms(world, client):
    from django.template.loader import render_to_string
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    directory_entry = {"id": world.saarn.pk, "name": "Saarn", "slug": "saarn"}
    for target, action in (
        (world.a1, FOLLOW_A1),
        (world.heissen, "/bezirke/heissen/folgen/"),
        (directory_entry, "/bezirke/saarn/folgen/"),
    ):
        html = render_to_string("residents/_follow.html", {"follow_target": target}, request=request)
        assert f'action="{action}"' in html
        assert 'name="csrfmiddlewaretoken"' in html
        assert 'name="leer_lassen"' in html
        assert client.post(action, {"email": "snippet@example.org", "leer_lassen": ""}).status_code == 302
    report = render_to_string("residents/_report.html", {"report_address": world.a1}, request=request)
    assert 'href="/adresse/45468/schlossstrasse/1/fehler-melden/"' in report
    assert Subscription.objects.filter(email="snippet@example.org").count() == 3
