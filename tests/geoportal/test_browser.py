"""Pages in a real headless Chromium: the admin's map widget, downloads, the catalogue search; network and CSP.

The home page's map (MapLibre, WebGL) is tested in tests/residents/test_portal_map_browser.py."""

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import sync_playwright

from schools.models import School
from tests.geoportal.conftest import city_data_load

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parent.parent.parent / "var" / "screenshots"


@pytest.fixture
def plain_static(settings) -> None:
    """Unhashed static names: live_server serves static files through the finders, which
    know no manifest, so with DEBUG off (ManifestStaticFilesStorage) every asset would 404."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def browser_page(plain_static):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1100})
        yield page
        browser.close()


@pytest.fixture
def school_names(transactional_db) -> list[str]:
    """Loads the city and returns the schools' names.

    transactional_db: live_server runs in another thread, so the rows must be
    committed. The names are read here because Playwright's sync API runs an
    event loop, inside which Django refuses database queries.
    """
    city_data_load()
    return list(School.objects.filter(is_school=True).values_list("name", flat=True))


@pytest.fixture
def admin_login(transactional_db, school_names, django_user_model) -> dict[str, str]:
    """A superuser and the admin URL of one school, read before the browser starts."""
    django_user_model.objects.create_superuser("admin", "admin@example.org", "a-long-test-password")
    school = School.objects.first()
    return {
        "username": "admin",
        "password": "a-long-test-password",
        "change": f"/admin/schools/school/{school.pk}/change/",
    }


def test_admin_map_widget_in_chromium(live_server, admin_login, browser_page):
    page = browser_page
    requests: list[str] = []
    console: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))

    page.goto(live_server.url + "/admin/login/?next=" + admin_login["change"])
    page.fill("#id_username", admin_login["username"])
    page.fill("#id_password", admin_login["password"])
    page.click("input[type=submit]")
    page.wait_for_selector(".dj_map canvas, .dj_map .ol-viewport")
    page.screenshot(path=str(SCREENSHOTS / "admin-school.png"), full_page=True)

    own_host = urlsplit(live_server.url).netloc
    assert [url for url in requests if urlsplit(url).scheme != "data" and urlsplit(url).netloc != own_host] == []
    assert [line for line in console if "Content Security Policy" in line or line.startswith("error")] == []


def test_downloads_page_in_chromium(live_server, school_names, browser_page, settings, tmp_path):
    settings.DOWNLOAD_CACHE_DIR = tmp_path
    page = browser_page
    requests: list[str] = []
    console: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))

    page.goto(live_server.url + "/")
    page.get_by_role("navigation", name="Hauptnavigation").get_by_role("link", name="Offene Daten").click()
    page.wait_for_url(re.compile(r"/daten/$"))
    assert page.locator("h1").inner_text() == "Offene Daten"
    schools = page.locator("article#schulen")
    assert "Datenlizenz Deutschland" in schools.inner_text()
    links = schools.get_by_role("list", name="Downloads von Schulen").get_by_role("link")
    assert [links.nth(i).get_attribute("href") for i in range(links.count())] == [
        "/daten/schulen.gpkg",
        "/daten/schulen.csv",
        "/daten/schulen.geojson",
    ]
    with page.expect_download() as download:
        links.nth(1).click()
    assert re.fullmatch(r"schulen_\d{4}-\d{2}-\d{2}\.csv", download.value.suggested_filename)
    page.screenshot(path=str(SCREENSHOTS / "downloads.png"), full_page=True)

    own_host = urlsplit(live_server.url).netloc
    assert [url for url in requests if urlsplit(url).scheme != "data" and urlsplit(url).netloc != own_host] == []
    assert [line for line in console if "Content Security Policy" in line or line.startswith("error")] == []


def test_records_search_form_works_under_our_csp(live_server, school_names, browser_page):
    """pygeoapi's catalogue page: its search form (inline handlers in pygeoapi, listeners here) searches."""
    page = browser_page
    requests: list[str] = []
    console: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: console.append(f"error: {error}"))

    page.goto(live_server.url + "/ogc/collections/metadata/items?f=html")
    page.locator("#q").fill("Schulen")
    page.locator("#search_submit").click()
    page.wait_for_url(re.compile(r"/items\?q=Schulen$"))
    assert "Schulen" in page.locator("main").inner_text()
    assert "InvalidParameterValue" not in page.content()

    own_host = urlsplit(live_server.url).netloc
    assert [url for url in requests if urlsplit(url).scheme != "data" and urlsplit(url).netloc != own_host] == []
    assert [line for line in console if "Content Security Policy" in line or line.startswith("error")] == []


@pytest.mark.parametrize("path", ["/quellen/", "/daten/", "/en/daten/"])
def test_pages_with_long_urls_fit_a_phone(live_server, school_names, browser_page, path):
    """Attributions and sources hold long URLs without spaces: they wrap instead of widening a 375 px page."""
    page = browser_page
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(live_server.url + path)
    assert page.locator(".source-facts").count() > 0
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"phone{path.replace('/', '-').rstrip('-')}.png"), full_page=True)
