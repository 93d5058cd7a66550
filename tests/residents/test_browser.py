"""Following and reporting in a real headless Chromium, with the real task queue's worker sending real mail.

The resident subscribes, receives the confirmation through the worker and SMTP (``outbox``), confirms, a planner
publishes a change on the review page and the notification arrives (an unpublished version of another provider
tells nobody anything), and the resident unsubscribes with one click as a mail client does. A resident reports an
error, the provider answers in its workspace, the resident reads the answer under the private link. Every new
page is checked with axe at 1280 and 375 px and photographed (var/screenshots/residents-*.png).
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.utils import timezone

from residents.models import Delivery, Report, Subscription
from residents.reports.services import report_answer, report_file
from residents.tokens import token_new
from tests.factories import PlanAreaFactory, PlanVersionFactory, member_of, planner, square
from tests.geoportal.test_accessibility import _login, _outside_event_loop, axe_violations
from tests.geoportal.test_browser import SCREENSHOTS, browser_page, plain_static  # noqa: F401 - fixtures
from tests.residents.conftest import world_build

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PASSWORD = "a-long-test-password"  # noqa: S105 - test accounts only
DESKTOP = {"width": 1280, "height": 1000}
PHONE = {"width": 375, "height": 812}
FOLLOW_A1 = "/adresse/45468/schlossstrasse/1/folgen/"
CONFIRM = re.compile(r"(https?://[^/\s]+/abo/bestaetigen/[A-Za-z0-9_-]{43}/)")
STATUS = re.compile(r"(https?://[^/\s]+/meldung/[A-Za-z0-9_-]{43}/)")


def _account(user, email: str):
    user.set_password(PASSWORD)
    user.email = email
    user.save()
    return user


@pytest.fixture
def city(transactional_db, live_server, settings):
    """The small city of tests/residents/conftest.py, committed (the worker and the live server read it), with
    alpha's version 2 accepted and waiting to be published, a planner and a member of beta."""
    # The site's public address is the one the browser visits: mails are written in the request that causes them.
    settings.SITE_URL = live_server.url
    world = world_build()
    v2 = PlanVersionFactory(provider=world.alpha, number=2, accepted_at=timezone.now())
    PlanAreaFactory(
        version=v2,
        key="AL1",
        geom=square(350000, 5700000, 351000, 5701000),
        stage="under_construction",
        expected_date=date(2028, 1, 1),
        expected_precision="quarter",
    )
    yield {
        "world": world,
        "planner": _account(planner(), "planung@stadt.example").username,
        "member": _account(member_of(world.beta), "team@beta.example").username,
    }
    # Committed jobs outlive the test (procrastinate's tables are not flushed): leave none for later tests.
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM procrastinate_jobs")


def _text(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def _own_host_only(requests: list[str], base: str) -> list[str]:
    own = urlsplit(base).netloc
    return [url for url in requests if urlsplit(url).scheme != "data" and urlsplit(url).netloc != own]


def test_subscribe_confirm_notify_and_unsubscribe_with_one_click(live_server, city, task_worker, outbox, browser_page):  # noqa: F811
    page, base = browser_page, live_server.url
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))

    # the resident asks to follow their address
    page.goto(base + FOLLOW_A1)
    page.get_by_label("Ihre E-Mail-Adresse").fill("anwohnerin@example.org")
    page.get_by_role("button", name="Folgen").click()
    page.wait_for_url(base + FOLLOW_A1)
    assert "Wir haben eine E-Mail an anwohnerin@example.org geschickt" in page.locator(".messages").inner_text()

    # the confirmation comes through the worker; its link opens a page with one button
    confirmation = outbox.wait_for(lambda m: m["Subject"].startswith("Bitte bestätigen"))
    assert confirmation["To"] == "anwohnerin@example.org"
    assert confirmation["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    page.goto(CONFIRM.search(_text(confirmation)).group(1))
    page.get_by_role("button", name="Ja, bestätigen").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Abo bestätigt"

    # a planner publishes alpha's version 2 on the review page
    _login(page, base, city["planner"])
    page.goto(base + "/ausbau/pruefung/")
    page.get_by_role("button", name=re.compile(r"Version 2 veröffentlichen.*Alpha")).click()
    page.wait_for_selector(".message-success")

    # the notification arrives, with old and new stage and quarter, and nothing of beta's unpublished version
    news = outbox.wait_for(lambda m: m["Subject"].startswith("Glasfaser: Neuigkeiten für Schloßstraße 1"))
    text = _text(news)
    assert "Stand: vorher „Geplant“, jetzt „Im Bau“" in text
    assert "Erwartet: vorher Q3/2027, jetzt Q1/2028" in text
    assert "Beta" not in text
    assert "<script>" not in news.get_body(preferencelist=("html",)).get_content()
    assert [m["Subject"] for m in outbox.messages].count(news["Subject"]) == 1

    # one-click unsubscribe as a mail client does it: a POST to the List-Unsubscribe URL, no cookie, no token
    url = news["List-Unsubscribe"].strip("<>")
    assert url.startswith(base + "/abo/abmelden/")
    answer = page.context.request.post(
        url, data="List-Unsubscribe=One-Click", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert answer.status == 200
    assert _outside_event_loop(lambda: Subscription.objects.count()) == 0
    assert _own_host_only(requests, base) == []


def test_unsubscribe_with_the_button_of_the_page(live_server, city, browser_page):  # noqa: F811
    page, base = browser_page, live_server.url
    links = _outside_event_loop(lambda: _confirmed_subscription(city["world"].borough))
    page.goto(base + links["unsubscribe"])
    assert _outside_event_loop(lambda: Subscription.objects.count()) == 1  # looking changes nothing
    # by keyboard: the button takes the focus and Enter sends the form
    page.get_by_role("button", name="Abmelden").focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("h1:has-text('Abgemeldet')")
    assert _outside_event_loop(lambda: Subscription.objects.count()) == 0


def test_report_answer_and_read_the_status(live_server, city, task_worker, outbox, browser_page):  # noqa: F811
    page, base = browser_page, live_server.url
    page.goto(base + "/adresse/45468/schlossstrasse/1/fehler-melden/")
    page.get_by_label("Als buchbar angezeigt, aber nicht buchbar").check()
    page.get_by_label("Beta Glasfaser").check()
    page.get_by_label("Beschreiben Sie, was Ihnen aufgefallen ist").fill("Die Hotline sagt: <b>nicht</b> buchbar.")
    page.get_by_label("Ihre E-Mail-Adresse (freiwillig)").fill("anwohner@example.org")
    page.get_by_role("button", name="Meldung senden").click()
    page.wait_for_url(re.compile(r"/meldung/[A-Za-z0-9_-]{43}/\?neu=1$"))
    status_url = page.url.split("?")[0]
    assert "Danke, Ihre Meldung ist gesendet." in page.inner_text("main")
    assert "Die Hotline sagt: <b>nicht</b> buchbar." in page.inner_text("main")

    routed = outbox.wait_for(lambda m: m["To"] == "team@beta.example")
    assert routed["Subject"] == "Neue Meldung zu Schloßstraße 1, 45468 Mülheim an der Ruhr"
    received = outbox.wait_for(lambda m: m["To"] == "anwohner@example.org")
    assert STATUS.search(_text(received)).group(1) == status_url

    # the provider answers in its workspace
    _login(page, base, city["member"])
    page.goto(base + "/ausbau/anbieter/beta/")
    page.get_by_role("link", name="Meldungen von Anwohnenden zu diesem Anbieter").click()
    page.get_by_role("link", name="Schloßstraße 1, 45468 Mülheim an der Ruhr").click()
    page.get_by_label("Die Meldung stimmt nicht").check()
    page.get_by_label("Was Sie korrigieren, oder warum die Meldung nicht stimmt").fill("Buchbar ab 1. März.")
    page.get_by_role("button", name="Antwort senden").click()
    page.wait_for_selector(".message-success")

    answered = outbox.wait_for(lambda m: m["Subject"].startswith("Antwort auf Ihre Meldung"))
    assert "Buchbar ab 1. März." in _text(answered)
    page.get_by_role("button", name="Abmelden").click()
    page.goto(status_url)
    assert "Widersprochen" in page.inner_text("main")
    assert "Buchbar ab 1. März." in page.inner_text("main")


def _confirmed_subscription(target) -> dict[str, str]:
    """A confirmed subscription with known secrets (as if its mails had been sent): the links' paths."""
    confirm, confirm_hash = token_new()
    unsubscribe, unsubscribe_hash = token_new()
    subscription = Subscription.objects.create(
        email="leserin@example.org",
        address=target if target.__class__.__name__ == "Address" else None,
        district=target if target.__class__.__name__ == "District" else None,
        language="de",
        created_at=timezone.now(),
        confirmed_at=timezone.now(),
        confirm_hash=confirm_hash,
    )
    Delivery.objects.create(
        subscription=subscription, kind="confirmation", created_at=timezone.now(), unsubscribe_hash=unsubscribe_hash
    )
    return {"confirm": f"/abo/bestaetigen/{confirm}/", "unsubscribe": f"/abo/abmelden/{unsubscribe}/"}


def _pages(city) -> dict:
    """Every new page (and its error states) with what it needs, made before the browser starts."""
    world = city["world"]
    pending_confirm, pending_hash = token_new()
    pending = Subscription.objects.create(
        email="neu@example.org",
        address=world.a2,
        language="de",
        created_at=timezone.now(),
        confirm_hash=pending_hash,
    )
    _gone, unsubscribe_hash = token_new()
    Delivery.objects.create(
        subscription=pending, kind="confirmation", created_at=timezone.now(), unsubscribe_hash=unsubscribe_hash
    )
    confirmed = _confirmed_subscription(world.a1)
    open_report, open_token = report_file(
        category="other",
        text='Der Text eines Anwohners mit <script>alert("x")</script> und einer sehr langen Zeile '
        "ohne-Leerzeichen-https://example.org/ein/sehr/langer/pfad/der/nicht/umbricht/" * 2,
        address=world.a1,
        provider=world.beta,
        language="de",
    )
    answered, answered_token = report_file(
        category="wrong_stage", text="Stand stimmt nicht.", address=world.a2, provider=world.alpha, language="de"
    )
    report_answer(
        report=answered,
        by=member_of(world.alpha),
        status="conceded",
        answer="Wir korrigieren den Stand im nächsten Plan.",
    )
    Report.objects.filter(pk=open_report.pk).update(due_at=timezone.now() - timedelta(days=2))
    return {
        "public": {
            "follow-address": FOLLOW_A1,
            "follow-district": "/bezirke/rechtsruhr-sued/folgen/",
            "follow-en": "/en" + FOLLOW_A1,
            "confirm": f"/abo/bestaetigen/{pending_confirm}/",
            "confirm-done": confirmed["confirm"],
            "unsubscribe": confirmed["unsubscribe"],
            "link-gone": "/abo/abmelden/" + "A" * 43 + "/",
            "privacy": "/datenschutz/",
            "privacy-en": "/en/datenschutz/",
            "report": "/adresse/45468/schlossstrasse/1/fehler-melden/",
            "report-missing": "/fehler-melden/adresse-fehlt/?plz=45468&strasse=schlossstrasse",
            "report-status-new": f"/meldung/{open_token}/?neu=1",
            "report-status-answered": f"/meldung/{answered_token}/",
        },
        "member": {
            "reports-provider": "/ausbau/anbieter/beta/meldungen/",
            "report-detail": f"/ausbau/meldungen/{open_report.pk}/",
        },
        "planner": {
            "reports-all": "/ausbau/meldungen/",
            "report-detail-answered": f"/ausbau/meldungen/{answered.pk}/",
        },
    }


def _check(page, base: str, name: str, path: str, found: list[str]) -> None:
    for label, size in (("1280", DESKTOP), ("375", PHONE)):
        page.set_viewport_size(size)
        response = page.goto(base + path)
        assert response is not None
        assert response.status < 500, f"{path}: {response.status}"
        found.extend(axe_violations(page, where=f"{path} ({label} px)"))
        page.screenshot(path=str(SCREENSHOTS / f"residents-{name}-{label}.png"), full_page=True)
        # nothing wider than the phone's screen: long texts and links wrap
        if size is PHONE:
            width = page.evaluate("() => document.documentElement.scrollWidth")
            assert width <= PHONE["width"], f"{path}: {width} px wide at 375 px"


def _submit_empty(page, base: str, path: str, button: str, found: list[str], name: str) -> None:
    """The form sent back with errors (400): the error summary and the fields' messages, checked too."""
    for label, size in (("1280", DESKTOP), ("375", PHONE)):
        page.set_viewport_size(size)
        page.goto(base + path)
        page.get_by_role("button", name=button).click()
        page.wait_for_selector(".error-summary")
        found.extend(axe_violations(page, where=f"{path} with errors ({label} px)"))
        page.screenshot(path=str(SCREENSHOTS / f"residents-{name}-errors-{label}.png"), full_page=True)


def test_every_new_page_has_no_wcag_violation_at_1280_and_375_px(live_server, city, browser_page):  # noqa: F811
    page, base = browser_page, live_server.url
    pages = _outside_event_loop(lambda: _pages(city))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    found: list[str] = []
    for name, path in pages["public"].items():
        _check(page, base, name, path, found)
    _submit_empty(page, base, FOLLOW_A1, "Folgen", found, "follow")
    _submit_empty(page, base, pages["public"]["report"], "Meldung senden", found, "report")
    _login(page, base, city["member"])
    for name, path in pages["member"].items():
        _check(page, base, name, path, found)
    _submit_empty(page, base, pages["member"]["report-detail"], "Antwort senden", found, "answer")
    page.goto(base + "/ausbau/anbieter/beta/")
    page.get_by_role("button", name="Abmelden").click()
    _login(page, base, city["planner"])
    for name, path in pages["planner"].items():
        _check(page, base, name, path, found)
    assert not found, "axe found WCAG 2.1 A/AA violations:\n" + "\n".join(found)
