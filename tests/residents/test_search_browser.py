"""The address search in a real headless Chromium: typing, keyboard only, no JavaScript, location, axe.

Every request the pages make is recorded and must go to our own host; the console must stay free of errors
and CSP reports. Screenshots at 1280 and 375 px go to var/screenshots/search-*.png.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core.cache import caches
from playwright.sync_api import expect, sync_playwright

from tests.factories import AddressFactory
from tests.geoportal.conftest import city_data_load
from tests.geoportal.test_accessibility import axe_violations
from tests.geoportal.test_browser import CHROMIUM, SCREENSHOTS, plain_static  # noqa: F401 - fixture
from tests.ogc.test_browser import CHROMIUM_ARGS as WEBGL_ARGS
from tests.residents.town import KETTWIGER_2, town_create, wgs84

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 740}
LABEL = "Straße und Hausnummer"


@pytest.fixture
def town_site(transactional_db, settings) -> None:
    """The city (boundary, schools, catalogue) and the search town, committed for the live server."""
    settings.RATELIMIT_SUGGEST = "100000/m"  # a test types faster than any resident
    caches["shared"].clear()
    city_data_load()
    town_create()


@pytest.fixture
def chromium(town_site, plain_static):  # noqa: F811 - fixture
    """Chromium with WebGL (SwiftShader): the home page's map may be drawn with it."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=WEBGL_ARGS)
        yield browser
        browser.close()


class Watched:
    """A page whose requests and console messages are recorded."""

    def __init__(self, context, base: str) -> None:
        self.page = context.new_page()
        self.base = base
        self.requests: list[tuple[str, str]] = []
        self.console: list[str] = []
        self.page.on("request", lambda request: self.requests.append((request.method, request.url)))
        self.page.on("console", lambda message: self.console.append(f"{message.type}: {message.text}"))
        self.page.on("pageerror", lambda error: self.console.append(f"error: {error}"))

    def goto(self, path: str):
        return self.page.goto(self.base + path)

    def assert_clean(self) -> None:
        own = urlsplit(self.base).netloc
        foreign = [url for _, url in self.requests if urlsplit(url).scheme != "data" and urlsplit(url).netloc != own]
        assert foreign == []
        assert [line for line in self.console if "Content Security Policy" in line or line.startswith("error")] == []


def _new(chromium, live_server, **options) -> Watched:
    context = chromium.new_context(viewport=DESKTOP, locale="de-DE", **options)
    return Watched(context, live_server.url)


def _screenshots(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"search-{name}-1280.png"), full_page=True)
    page.set_viewport_size(PHONE)
    page.screenshot(path=str(SCREENSHOTS / f"search-{name}-375.png"), full_page=True)
    page.set_viewport_size(DESKTOP)


@pytest.mark.parametrize(
    ("typed", "option", "path", "heading"),
    [
        ("Schlo", "Schloßstraße, 45470", "/adresse/45470/schlossstrasse/", "Schloßstraße"),  # partial
        ("Shcloßstr 12a", "Schloßstraße 12a, 45468", "/adresse/45468/schlossstrasse/12a/", "Schloßstraße 12a"),
        ("muelheimer str 3", "Mülheimer Straße 3, 45468", "/adresse/45468/muelheimer-strasse/3/", "Mülheimer Straße 3"),
        (
            "alte-duisburger-str. 5",
            "Alte Duisburger Straße 5, 45481",
            "/adresse/45481/alte-duisburger-strasse/5/",
            None,
        ),
        ("Kettwigre Str 4, MH", "Kettwiger Straße 4, 45468", "/adresse/45468/kettwiger-strasse/4/", None),
        ("Göthepl. 2", "Goetheplatz 2, 45472", "/adresse/45472/goetheplatz/2/", "Goetheplatz 2"),
    ],
)
def test_typing_finds_the_address_and_a_click_opens_its_page(live_server, chromium, typed, option, path, heading):
    watched = _new(chromium, live_server)
    page = watched.page
    watched.goto("/")
    box = page.get_by_role("combobox", name=LABEL)
    box.press_sequentially(typed, delay=30)
    choice = page.get_by_role("listbox").get_by_role("option", name=re.compile("^" + re.escape(option)))
    choice.click()
    page.wait_for_url(re.compile(re.escape(path) + "$"))
    assert page.locator("h1").inner_text().startswith(heading or option.split(",")[0])
    # the suggestions were asked of our own API, with what was typed
    asked = [url for method, url in watched.requests if "/suche/vorschlaege?q=" in url]
    assert asked
    watched.assert_clean()


def test_keyboard_only_search(live_server, chromium):
    watched = _new(chromium, live_server)
    page = watched.page
    watched.goto("/")
    for _ in range(30):  # from the top of the page, as a keyboard user arrives
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.getAttribute('role')") == "combobox":
            break
    else:
        pytest.fail("the search box is not reachable with Tab")
    box = page.get_by_role("combobox", name=LABEL)
    # focus is visible: the site's 3 px outline
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"
    assert page.evaluate("getComputedStyle(document.activeElement).outlineWidth") == "3px"

    page.keyboard.type("Schloßstr")
    listbox = page.get_by_role("listbox", name="Vorschläge")
    expect(listbox).to_be_visible()
    expect(box).to_have_attribute("aria-expanded", "true")
    options = listbox.get_by_role("option")
    count = options.count()
    assert count >= 2
    expect(page.locator("#search-status")).to_have_text(re.compile(rf"^{count} Vorschläge\. "))
    assert box.get_attribute("aria-activedescendant") is None

    page.keyboard.press("ArrowDown")
    first, second = options.nth(0), options.nth(1)
    expect(box).to_have_attribute("aria-activedescendant", first.get_attribute("id"))
    expect(first).to_have_attribute("aria-selected", "true")
    page.screenshot(path=str(SCREENSHOTS / "search-suggestions-1280.png"))
    page.keyboard.press("ArrowDown")
    expect(box).to_have_attribute("aria-activedescendant", second.get_attribute("id"))
    expect(first).to_have_attribute("aria-selected", "false")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")  # wraps to the last
    expect(box).to_have_attribute("aria-activedescendant", options.nth(count - 1).get_attribute("id"))

    page.keyboard.press("Escape")  # closes the list, keeps the text
    expect(box).to_have_attribute("aria-expanded", "false")
    expect(listbox).to_be_hidden()
    assert box.input_value() == "Schloßstr"
    assert box.get_attribute("aria-activedescendant") is None
    page.keyboard.press("Escape")  # clears the text
    assert box.input_value() == ""

    page.keyboard.type("Goetheplatz 3")
    expect(listbox.get_by_role("option").first).to_contain_text("Goetheplatz 3, 45472")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/adresse/45472/goetheplatz/3/$"))

    # Enter without choosing a suggestion: the results page, as without JavaScript
    watched.goto("/")
    page.get_by_role("combobox", name=LABEL).focus()
    page.keyboard.type("Schloßstraße 3")
    expect(page.get_by_role("listbox").get_by_role("option").first).to_be_visible()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/suche/\?q=Schlo%C3%9Fstra%C3%9Fe\+3$"))
    assert page.locator("h2#results-heading").inner_text() == "Ergebnisse für „Schloßstraße 3“"
    watched.assert_clean()


def test_no_match_is_announced_with_similar_names(live_server, chromium):
    watched = _new(chromium, live_server)
    page = watched.page
    watched.goto("/")
    page.get_by_role("combobox", name=LABEL).press_sequentially("Schlossallee", delay=20)
    expect(page.locator(".search-note")).to_have_text("Keine Straße passt genau. Ähnliche Straßennamen:")
    expect(page.locator("#search-status")).to_contain_text("Ähnliche Straßennamen")
    expect(page.get_by_role("option").first).to_contain_text("Schloß")
    watched.assert_clean()


def test_the_form_works_without_javascript(live_server, chromium):
    watched = _new(chromium, live_server, java_script_enabled=False)
    page = watched.page
    watched.goto("/")
    box = page.get_by_label(LABEL)
    box.fill("Schloßstraße 3")
    box.press("Enter")
    page.wait_for_url(re.compile(r"/suche/\?q="))
    results = page.get_by_role("list", name="Adressen")
    expect(results.get_by_role("link").first).to_have_text("Schloßstraße 3, 45468")
    _screenshots(page, "results")
    results.get_by_role("link", name="Schloßstraße 3, 45470").click()
    page.wait_for_url(re.compile(r"/adresse/45470/schlossstrasse/3/$"))

    # one exact address: straight to its page
    watched.goto("/suche/")
    page.get_by_label(LABEL).fill("45468 schlossstr. 12 A")
    page.get_by_role("button", name="Suchen").click()
    page.wait_for_url(re.compile(r"/adresse/45468/schlossstrasse/12a/$"))

    # no match: said so, with similar names
    watched.goto("/suche/?q=Schlossallee")
    assert "Wir haben keine Straße mit diesem Namen gefunden." in page.locator("main").inner_text()
    expect(page.get_by_role("list", name="Ähnliche Straßennamen").get_by_role("link").first).to_contain_text("Schloß")
    _screenshots(page, "no-match")
    # without JavaScript there is no location button: it would need the browser's position
    expect(page.get_by_role("button", name="Meinen Standort verwenden")).to_be_hidden()
    watched.assert_clean()


def test_use_my_location_finds_the_nearest_address(live_server, chromium):
    lon, lat = wgs84(KETTWIGER_2[0] + 2, KETTWIGER_2[1] + 2)
    watched = _new(chromium, live_server, permissions=["geolocation"], geolocation={"latitude": lat, "longitude": lon})
    page = watched.page
    watched.goto("/")
    expect(page.get_by_text("Ihr Standort wird nur an diese Website übermittelt")).to_be_visible()
    page.get_by_role("button", name="Meinen Standort verwenden").click()
    found = page.locator(".locate-result").get_by_role("link").first
    expect(found).to_have_text("Kettwiger Straße 2, 45468")
    expect(page.locator(".locate-result")).to_contain_text("3 m entfernt")
    _screenshots(page, "locate")
    # the position went to our own host in a POST body, never into a URL
    locate = [(method, url) for method, url in watched.requests if "/suche/standort" in url]
    assert locate == [("POST", live_server.url + "/suche/standort")]
    assert not [url for _, url in watched.requests if f"{lat:.4f}" in url or f"{lon:.4f}" in url]
    found.click()
    page.wait_for_url(re.compile(r"/adresse/45468/kettwiger-strasse/2/$"))
    watched.assert_clean()


def test_a_refused_location_is_answered_politely(live_server, chromium):
    watched = _new(chromium, live_server)  # no permission granted: the browser refuses
    page = watched.page
    watched.goto("/")
    page.get_by_role("button", name="Meinen Standort verwenden").click()
    expect(page.locator(".locate-result")).to_have_text(
        "Ihr Browser hat den Standort nicht freigegeben. Kein Problem: Geben Sie Ihre Adresse einfach oben ein."
    )
    assert not [url for _, url in watched.requests if "/suche/standort" in url]
    watched.assert_clean()


def test_search_pages_have_no_wcag_violations(live_server, chromium):
    watched = _new(chromium, live_server)
    page = watched.page
    found: list[str] = []

    def check(where: str) -> None:
        found.extend(axe_violations(page, where=where))
        page.set_viewport_size(PHONE)
        found.extend(axe_violations(page, where=f"{where} (375 px)"))
        page.set_viewport_size(DESKTOP)

    watched.goto("/")
    page.wait_for_load_state("load")
    page.get_by_role("combobox", name=LABEL).press_sequentially("Schloßstr", delay=20)
    expect(page.get_by_role("option").first).to_be_visible()
    page.keyboard.press("ArrowDown")
    check("/ (suggestions open)")
    page.set_viewport_size(PHONE)
    page.screenshot(path=str(SCREENSHOTS / "search-suggestions-375.png"))
    page.set_viewport_size(DESKTOP)
    for path in ["/suche/", "/suche/?q=Schlo%C3%9Fstra%C3%9Fe+3", "/suche/?q=Kettwiger+Stra%C3%9Fe+7",
                 "/suche/?q=Schlossallee", "/suche/?q=12", "/en/suche/?q=Schlo"]:  # fmt: skip
        response = watched.goto(path)
        assert response is not None
        assert response.status == 200, path
        check(path)
    _screenshots(page, "english")
    watched.goto("/suche/?q=Kettwiger+Stra%C3%9Fe+7")
    _screenshots(page, "house-missing")
    assert not found, "axe found WCAG 2.1 A/AA violations:\n" + "\n".join(found)
    watched.assert_clean()


HOSTILE = '<img src=x onerror="document.title=1">Weg'


@pytest.fixture
def hostile_street(town_site) -> None:
    """A street whose name is markup, as a careless import might bring."""
    AddressFactory(street=HOSTILE, house_number=1, postcode="45468")


def test_a_street_name_of_markup_is_shown_as_text(live_server, hostile_street, chromium):
    watched = _new(chromium, live_server)
    page = watched.page
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    watched.goto("/")
    page.get_by_role("combobox", name=LABEL).press_sequentially("<img src", delay=20)
    option = page.get_by_role("option").first
    expect(option).to_contain_text(HOSTILE + ", 45468")
    assert page.locator(".search-listbox img").count() == 0
    assert page.title() != "1"
    assert dialogs == []
    watched.assert_clean()
