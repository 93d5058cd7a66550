"""The school pages in headless Chromium: the map and its time player, the list's filter, axe-core on every new
page at desktop and phone width, no foreign requests, no CSP violations; screenshots under var/screenshots/."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.db import connection

from layers.demo import demo_generate
from schools.models import SchoolConnectionChange
from schools.selectors import school_connectivity
from tests.factories import planner
from tests.geoportal.conftest import city_data_load
from tests.geoportal.test_accessibility import DESKTOP, PASSWORD, PHONE, _login, axe_violations
from tests.geoportal.test_browser import SCREENSHOTS, browser_page, plain_static  # noqa: F401 - fixtures

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def demo_city(transactional_db, settings, tmp_path):
    """The real schools with the demo's connections, histories and measurements (committed: live_server)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CITY_AGS = "05117000"
    city_data_load()
    demo_generate(seed=3, addresses=2000)
    user = planner()
    user.set_password(PASSWORD)
    user.save()
    schools = list(school_connectivity().order_by("name"))
    first = SchoolConnectionChange.objects.order_by("valid_from").first().valid_from
    yield {
        "planner": user.username,
        "schools": schools,
        "first": first,
        "number": next(s.school_number for s in schools if s.measured_down_mbits is not None),
        "connected": sum(1 for s in schools if s.status == "connected"),
    }
    # The demo's publishing queued jobs, and procrastinate's tables are not flushed between transactional tests:
    # left over, they would be seen by later tests (and runs, with --reuse-db) that expect an empty queue.
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM procrastinate_jobs")


def _watch(page) -> tuple[list[str], list[str]]:
    requests: list[str] = []
    console: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    return requests, console


def _clean(live_server, requests, console) -> None:
    own = urlsplit(live_server.url).netloc
    assert [u for u in requests if urlsplit(u).scheme not in ("data", "blob") and urlsplit(u).netloc != own] == []
    assert [line for line in console if line.startswith("error") or "Content Security Policy" in line] == []


def _counts(page) -> str:
    page.wait_for_function("() => document.querySelector('#school-day-counts').textContent.length > 0")
    return page.locator("#school-day-counts").inner_text()


def test_the_time_player_redraws_every_school_at_a_past_day(live_server, demo_city, browser_page):  # noqa: F811
    page = browser_page
    requests, console = _watch(page)
    page.goto(live_server.url + "/schulen/karte/")
    page.wait_for_selector("#school-map[data-ready='true']")

    markers = page.locator(".leaflet-overlay-pane path.leaflet-interactive")
    assert markers.count() == len(demo_city["schools"])
    today = _counts(page)
    assert f"{demo_city['connected']} mit Glasfaser angeschlossen" in today
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "schools-map-today.png"), full_page=True)

    # Keyboard only: focus the slider, Home goes to the first day of the history
    slider = page.get_by_role("slider", name=re.compile("^Stand am"))
    slider.focus()
    page.keyboard.press("Home")
    assert page.locator("#school-map").get_attribute("data-day") == demo_city["first"].isoformat()
    page.wait_for_function(f"() => !document.querySelector('#school-day-counts').textContent.includes('{today}')")
    first_counts = page.locator("#school-day-counts").inner_text()
    assert "0 mit Glasfaser angeschlossen" in first_counts
    # the table says the same as the map: on the first day no school was connected yet
    assert page.locator("#school-status-table .school-status-connected").count() == 0
    assert slider.get_attribute("aria-valuetext")

    page.keyboard.press("PageUp")  # a month later
    later = page.locator("#school-map").get_attribute("data-day")
    assert later > demo_city["first"].isoformat()
    page.keyboard.press("End")
    page.wait_for_function(f"() => document.querySelector('#school-day-counts').textContent.includes('{today}')")
    assert page.locator("#school-status-table .school-status-connected").count() == demo_city["connected"]

    page.locator(".leaflet-overlay-pane path.leaflet-interactive").first.dispatch_event("click")
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert popup.locator("a").get_attribute("href").startswith("/schulen/")
    _clean(live_server, requests, console)


def test_the_list_filter_narrows_the_list(live_server, demo_city, browser_page):  # noqa: F811
    page = browser_page
    requests, console = _watch(page)
    page.goto(live_server.url + "/schulen/")
    total = page.locator(".school-table tbody tr").count()
    assert total == len(demo_city["schools"])

    page.get_by_label("Schulform").select_option("Gymnasium")
    page.get_by_label("Anschluss").select_option("connected")
    page.get_by_role("button", name="Anzeigen").click()
    page.wait_for_url(re.compile(r"schulform=Gymnasium"))

    rows = page.locator(".school-table tbody tr")
    expected = [s.name for s in demo_city["schools"] if s.school_type == "Gymnasium" and s.status == "connected"]
    assert rows.count() == len(expected)
    assert sorted(rows.locator("th a").all_inner_texts()) == sorted(expected)
    page.get_by_role("link", name=re.compile("^Schülerinnen und Schüler")).click()
    assert page.locator("th[aria-sort='ascending']").count() == 1
    page.screenshot(path=str(SCREENSHOTS / "schools-list-filtered.png"), full_page=True)
    _clean(live_server, requests, console)


def test_the_school_pages_have_no_wcag_violations(live_server, demo_city, browser_page):  # noqa: F811
    page = browser_page
    number = demo_city["number"]
    found: list[str] = []

    def check(path: str, name: str) -> None:
        response = page.goto(live_server.url + path)
        assert response is not None, path
        assert response.status < 500, path
        if "karte" in path:
            page.wait_for_selector("#school-map[data-ready='true']")
            page.wait_for_function("() => !document.querySelector('.leaflet-zoom-anim')")
        found.extend(axe_violations(page, where=path))
        page.screenshot(path=str(SCREENSHOTS / f"schools-{name}-1280.png"), full_page=True)
        page.set_viewport_size(PHONE)
        found.extend(axe_violations(page, where=f"{path} (phone)"))
        page.screenshot(path=str(SCREENSHOTS / f"schools-{name}-375.png"), full_page=True)
        page.set_viewport_size(DESKTOP)

    check("/schulen/", "list")
    check("/schulen/?status=bogus", "list-error")
    check("/schulen/karte/", "map")
    check(f"/schulen/{number}/", "school")
    check(f"/en/schulen/{number}/", "school-en")
    _login(page, live_server.url, demo_city["planner"])
    check(f"/schulen/{number}/", "school-planner")
    check(f"/schulen/{number}/anbindung/", "connection-form")
    page.goto(live_server.url + f"/schulen/{number}/tokens/")
    page.get_by_label("Wofür das Token ist").fill("Messbox im Serverraum")
    page.get_by_role("button", name="Token erstellen").click()
    page.wait_for_selector("#token-secret")
    found.extend(axe_violations(page, where="tokens (new secret)"))
    page.screenshot(path=str(SCREENSHOTS / "schools-tokens-1280.png"), full_page=True)
    page.set_viewport_size(PHONE)
    found.extend(axe_violations(page, where="tokens (phone)"))
    page.screenshot(path=str(SCREENSHOTS / "schools-tokens-375.png"), full_page=True)
    page.set_viewport_size(DESKTOP)
    page.goto(live_server.url + f"/schulen/{number}/anbindung/")
    page.get_by_label("Stand", exact=True).select_option("planned")
    page.get_by_label("Erwartete Fertigstellung").fill("")
    page.get_by_role("button", name="Speichern").click()
    page.wait_for_selector(".error-summary")
    found.extend(axe_violations(page, where="connection form with an error"))

    assert not found, "axe found WCAG 2.1 A/AA violations:\n" + "\n".join(found)
