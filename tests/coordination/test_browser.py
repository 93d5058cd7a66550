"""Dig once in a real headless Chromium: the match list, a filter, the form with its drawing map, an import's
report, and a notification sent through the real task queue's worker; axe at 1280 and 375 px; screenshots."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from coordination.models import MatchNotification, Roadworks, WorksOwner
from tests.coordination.conftest import ROADWORKS, box, line, works
from tests.factories import CityFactory, PlanAreaFactory, PlanVersionFactory, ProviderFactory, member_of, planner
from tests.geoportal.test_accessibility import axe_violations
from tests.geoportal.test_browser import SCREENSHOTS, browser_page, plain_static  # noqa: F401 - fixtures

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PASSWORD = "a-long-test-password"  # noqa: S105 - test accounts only
DESKTOP = {"width": 1280, "height": 1000}
PHONE = {"width": 375, "height": 800}


def _outside_event_loop(function):
    """Playwright's sync API runs an event loop, in which Django refuses queries: ask from another thread."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function).result()


def _next_quarter_but_one(today: date) -> date:
    year, index = divmod(today.year * 4 + (today.month - 1) // 3 + 2, 4)
    return date(year, 3 * index + 1, 1)


@pytest.fixture
def dig_site(transactional_db) -> dict:
    """Committed rows: Alpha's planned area A, a street resurfaced over it (conflict), water works beside it
    (chance), a member of Alpha with an e-mail address, a planner, the owner with its contact."""
    CityFactory()
    today = timezone.localdate()
    quarter = _next_quarter_but_one(today)
    alpha = ProviderFactory(slug="alpha", name="Alpha Netz")
    version = PlanVersionFactory(provider=alpha, number=1, published_at=timezone.now())
    PlanAreaFactory(
        version=version, key="A-1", name="Schlossviertel", stage="planned", expected_date=quarter,
        expected_precision="quarter", geom=box(349000, 5699000, 350000, 5700000),
    )  # fmt: skip
    road = WorksOwner.objects.create(name="Tiefbauamt", sector="road", contact_email="tiefbau@stadt.example")
    water = WorksOwner.objects.create(name="Wasserwerk", sector="water", contact_email="leitung@wasser.example")
    works(road, "Deckenerneuerung Schloßstraße", line((348800, 5699500), (350200, 5699500)),
          today - timedelta(days=120), today - timedelta(days=60), ban=today + timedelta(days=5 * 365))  # fmt: skip
    works(water, "Wasserleitung Kirchweg", line((350030, 5699000), (350030, 5700000)), quarter,
          quarter + timedelta(days=40), sector="water")  # fmt: skip
    member, city_planner = member_of(alpha), planner()
    member.email = "netz@alpha.example"
    for user in (member, city_planner):
        user.set_password(PASSWORD)
        user.save()
    return {"planner": city_planner.username, "member": member.username}


def _login(page, base: str, username: str) -> None:
    page.goto(base + "/konto/anmelden/")
    page.get_by_label("Benutzername").fill(username)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url(lambda url: "/konto/anmelden/" not in url)


def _settled(page) -> None:
    page.wait_for_load_state("load")
    if page.locator(".folium-map, #draw-map").count():
        page.wait_for_selector(".leaflet-overlay-pane svg", state="attached")
        page.wait_for_function("() => !document.querySelector('.leaflet-zoom-anim')")


def _look(page, name: str, found: list[str]) -> None:
    """axe and a full-page screenshot at desktop and phone width."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    _settled(page)
    where = urlsplit(page.url).path
    found.extend(axe_violations(page, where=where))
    page.screenshot(path=str(SCREENSHOTS / f"{name}-1280.png"), full_page=True)
    page.set_viewport_size(PHONE)
    page.wait_for_timeout(300)
    found.extend(axe_violations(page, where=f"{where} (375 px)"))
    # nothing wider than the phone: wide tables scroll in their own region, the page itself does not
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > PHONE["width"]:
        found.append(f"{where} (375 px): the page is {width} px wide")
    page.screenshot(path=str(SCREENSHOTS / f"{name}-375.png"), full_page=True)
    page.set_viewport_size(DESKTOP)


def _record(page) -> tuple[list[str], list[str]]:
    requests: list[str] = []
    console: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: console.append(f"error: {error}"))
    return requests, console


def _clean(base: str, requests: list[str], console: list[str]) -> None:
    own_host = urlsplit(base).netloc
    assert [u for u in requests if urlsplit(u).scheme not in ("data", "blob") and urlsplit(u).netloc != own_host] == []
    assert [line for line in console if "Content Security Policy" in line or "Refused to" in line] == []
    # Pages with form errors answer 400 on purpose; Chromium logs each as a failed load.
    intended = "the server responded with a status of 400"
    assert [line for line in console if line.startswith("error") and intended not in line] == []


def test_matches_filter_and_notify_in_chromium(live_server, dig_site, browser_page, task_worker, outbox):  # noqa: F811
    page = browser_page
    page.set_viewport_size(DESKTOP)
    base = live_server.url
    requests, console = _record(page)
    found: list[str] = []

    _login(page, base, dig_site["planner"])
    page.goto(base + "/koordination/")
    _look(page, "coordination-index", found)
    page.get_by_role("link", name="Konflikte und Chancen zur Mitverlegung").click()
    page.wait_for_url(re.compile(r"/koordination/mitverlegung/$"))
    # the summary, the map (a solid red line, a dotted purple one, the dashed blue area) and both tables
    figures = page.locator(".figures").inner_text()
    assert "Konflikte\n1" in figures
    assert "Chancen\n1" in figures
    page.wait_for_selector(".leaflet-overlay-pane path[stroke='#b3261e']")
    assert page.locator(".leaflet-overlay-pane path[stroke='#6f42c1'][stroke-dasharray='2 8']").count() == 1
    assert page.locator(".leaflet-overlay-pane path[stroke='#0b4f9c'][stroke-dasharray='10 6']").count() == 1
    conflicts = page.locator("#conflicts tbody tr")
    assert conflicts.count() == 1
    assert "Deckenerneuerung Schloßstraße" in conflicts.inner_text()
    assert "Alpha Netz: A-1" in conflicts.inner_text()
    chances = page.locator("#chances tbody tr").inner_text()
    assert "Wasserleitung Kirchweg" in chances
    assert "\t30\t" in chances
    _look(page, "coordination-matches", found)

    # a filter: conflicts only; and a distance below the chance's 30 m hides it
    page.get_by_label("Welche Treffer").select_option(label="Nur Konflikte")
    page.get_by_role("button", name="Anzeigen").click()
    page.wait_for_url(re.compile(r"art=konflikte"))
    assert page.locator("#chances").count() == 0
    assert page.locator("#conflicts tbody tr").count() == 1
    page.goto(base + "/koordination/mitverlegung/?abstand=29")
    assert "Keine Chance mit diesen Einstellungen." in page.locator("main").inner_text()
    page.goto(base + "/koordination/mitverlegung/?abstand=viel")
    assert "Geben Sie den Abstand als ganze Zahl von Metern ein." in page.locator(".error-summary").inner_text()
    _look(page, "coordination-matches-error", found)

    # the planner picks the conflict and notifies both parties; a double click sends once
    page.goto(base + "/koordination/mitverlegung/")
    page.locator("#conflicts").get_by_role("link", name=re.compile("^Benachrichtigen")).click()
    page.wait_for_url(re.compile(r"/benachrichtigen/\?"))
    recipients = page.locator("section[aria-labelledby=recipients-heading]").inner_text()
    assert "tiefbau@stadt.example" in recipients
    assert "netz@alpha.example" in recipients
    page.get_by_label("Hinweis an die Empfänger").fill("Bitte vor dem Ausbau abstimmen.")
    _look(page, "coordination-notify", found)
    page.get_by_role("button", name="E-Mails senden").dblclick()
    page.wait_for_url(re.compile(r"/koordination/baustellen/\d+/#notifications-heading$"))
    assert (
        "Der Hinweis ist unterwegs an tiefbau@stadt.example, netz@alpha.example."
        in page.get_by_role("status").first.inner_text()
    )
    to_owner = outbox.wait_for(lambda m: m["To"] == "tiefbau@stadt.example")
    to_member = outbox.wait_for(lambda m: m["To"] == "netz@alpha.example")
    # (the parsed header may keep a folding space between encoded words)
    subject = " ".join(str(to_owner["Subject"]).split())
    assert subject == "Aufbruchsperre: geplanter Glasfaserbau bei Deckenerneuerung Schloßstraße"
    body = to_member.get_body(preferencelist=("plain",)).get_content()
    assert "Geplante Glasfaser: Alpha Netz, Gebiet A-1" in body
    assert "Bitte vor dem Ausbau abstimmen." in body
    page.wait_for_timeout(1500)  # a second job, had there been one, would have arrived by now
    assert len(outbox.messages) == 2
    assert _outside_event_loop(lambda: MatchNotification.objects.count()) == 1
    notified = page.locator("section[aria-labelledby=notifications-heading] tbody").inner_text()
    assert "tiefbau@stadt.example, netz@alpha.example" in notified
    _look(page, "coordination-works", found)

    # the list now says when the match was notified
    page.goto(base + "/koordination/mitverlegung/?art=konflikte")
    assert timezone.localdate().strftime("%d.%m.%Y") in page.locator("#conflicts tbody tr").inner_text()

    # Alpha's member sees the same match, read-only
    page.get_by_role("button", name="Abmelden").click()
    _login(page, base, dig_site["member"])
    page.goto(base + "/koordination/")
    page.wait_for_url(re.compile(r"/koordination/mitverlegung/$"))
    assert page.locator("#conflicts tbody tr").count() == 1
    assert page.get_by_role("link", name=re.compile("^Benachrichtigen")).count() == 0
    _look(page, "coordination-matches-provider", found)

    _clean(base, requests, console)
    assert not found, "axe found WCAG 2.1 A/AA violations:\n" + "\n".join(found)


def test_enter_works_by_drawing_on_the_map_and_import_a_file(live_server, dig_site, browser_page):  # noqa: F811
    page = browser_page
    page.set_viewport_size(DESKTOP)
    base = live_server.url
    requests, console = _record(page)
    found: list[str] = []
    _login(page, base, dig_site["planner"])

    # an empty form: the error summary names every missing field and links to it
    page.goto(base + "/koordination/baustellen/neu/")
    page.get_by_role("button", name="Baustelle speichern").click()
    page.wait_for_load_state()
    summary = page.locator(".error-summary").inner_text()
    for message in (
        "Wählen Sie den Träger der Baustelle.",
        "Geben Sie der Baustelle einen Titel.",
        "Zeichnen Sie die Baustelle",
    ):
        assert message in summary
    _look(page, "coordination-form-errors", found)

    page.get_by_label("Träger", exact=True).select_option(label="Wasserwerk")
    page.get_by_label("Sparte", exact=True).select_option(label="Wasser")
    page.get_by_label("Titel", exact=True).fill("Hausanschlüsse Lindenweg")
    page.get_by_label("Beginn", exact=True).fill("2031-05-01")
    page.get_by_label("Ende", exact=True).fill("2031-06-30")
    # two points by mouse, a third by keyboard: the map pans with the arrow keys, the button sets the cross
    _settled(page)
    drawing = page.locator("#draw-map")
    drawing.scroll_into_view_if_needed()
    box_ = drawing.bounding_box()
    page.mouse.click(box_["x"] + box_["width"] * 0.4, box_["y"] + box_["height"] * 0.5)
    page.mouse.click(box_["x"] + box_["width"] * 0.6, box_["y"] + box_["height"] * 0.5)
    assert page.locator("#draw-status").inner_text() == "2 Punkte gesetzt."
    drawing.focus()
    page.keyboard.press("ArrowDown")
    page.wait_for_timeout(400)
    page.get_by_role("button", name="Punkt am Kreuz setzen").click()
    assert page.locator("#draw-status").inner_text() == "3 Punkte gesetzt."
    text = page.get_by_label("Linie oder Fläche (WKT)").input_value()
    assert re.fullmatch(r"LINESTRING \((6\.\d{6} 51\.\d{6}, ){2}6\.\d{6} 51\.\d{6}\)", text), text
    assert page.get_by_label("Koordinaten in").input_value() == "EPSG:4326"
    page.get_by_role("button", name="Letzten Punkt entfernen").click()
    assert page.locator("#draw-status").inner_text() == "2 Punkte gesetzt."
    _look(page, "coordination-form", found)
    page.get_by_role("button", name="Baustelle speichern").click()
    page.wait_for_url(re.compile(r"/koordination/baustellen/\d+/$"))
    assert page.locator("h1").inner_text() == "Hausanschlüsse Lindenweg"
    saved = _outside_event_loop(lambda: Roadworks.objects.get(title="Hausanschlüsse Lindenweg"))
    assert saved.geom.geom_type == "MultiLineString"
    assert len(saved.geom[0].coords) == 2
    assert f"Linie, {saved.geom.length:.0f} m" in page.locator(".source-facts").inner_text()

    # a broken file: the report lists each problem by row and field; nothing is stored
    page.goto(base + "/koordination/baustellen/")
    page.get_by_label("Träger", exact=True).select_option(label="Tiefbauamt")
    page.set_input_files("#id_file", str(ROADWORKS / "invalid" / "bad_dates.csv"))
    page.get_by_role("button", name="Prüfen und einlesen").click()
    page.wait_for_load_state()
    assert "Die Datei hat 3 Fehler und wurde nicht eingelesen" in page.locator(".error-summary").inner_text()
    report = page.locator("section[aria-labelledby=report-heading]").inner_text()
    assert "Beginn nicht lesbar" in report
    assert "irgendwann" in report
    _look(page, "coordination-import-report", found)
    # a good one
    page.goto(base + "/koordination/baustellen/")
    page.get_by_label("Träger", exact=True).select_option(label="Tiefbauamt")
    page.set_input_files("#id_file", str(ROADWORKS / "valid" / "roadworks.geojson"))
    page.get_by_role("button", name="Prüfen und einlesen").click()
    page.wait_for_url(re.compile(r"/koordination/baustellen/importe/\d+/$"))
    assert (
        "Die Datei wurde eingelesen: 3 neu, 0 aktualisiert, 0 entfernt."
        in page.get_by_role("status").first.inner_text()
    )
    page.goto(base + "/koordination/baustellen/")
    _look(page, "coordination-roadworks", found)

    _clean(base, requests, console)
    assert not found, "axe found WCAG 2.1 A/AA violations:\n" + "\n".join(found)
