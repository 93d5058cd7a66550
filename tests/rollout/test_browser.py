"""The provider → planner flow in a real headless Chromium: upload with progress, report, diff, accept, publish."""

import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest

from rollout import selectors
from tests.factories import AddressFactory, CityFactory, ProviderFactory, member_of, planner
from tests.geoportal.test_browser import SCREENSHOTS, browser_page, plain_static  # noqa: F401 - fixtures
from tests.rollout.conftest import PLANS

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PASSWORD = "a-long-test-password"  # noqa: S105 - test accounts only
# Logs every text the upload status region shows, so the test sees the progress steps
# even though the page navigates away once the file is checked.
STATUS_RECORDER = """() => {
  const status = document.getElementById("upload-status");
  new MutationObserver(() => console.log("upload-status: " + status.textContent))
    .observe(status, {childList: true, characterData: true, subtree: true});
}"""


def _outside_event_loop(function):
    """Playwright's sync API runs an event loop, in which Django refuses queries: ask from another thread."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function).result()


@pytest.fixture
def accounts(transactional_db, tmp_path) -> dict:
    """Committed rows (live_server runs in another thread): the city, one address in area A-1, two accounts."""
    CityFactory()
    AddressFactory()
    alpha = ProviderFactory(slug="alpha", name="Alpha Netz")
    member, city_planner = member_of(alpha), planner()
    for user in (member, city_planner):
        user.set_password(PASSWORD)
        user.save()
    plan = tmp_path / "areas.geojson"
    shutil.copy(PLANS / "valid" / "areas.geojson", plan)
    return {"member": member.username, "planner": city_planner.username, "plan": str(plan)}


def _login(page, base: str, username: str) -> None:
    page.goto(base + "/konto/anmelden/")
    page.get_by_label("Benutzername").fill(username)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()


def test_upload_accept_publish_in_chromium(live_server, accounts, browser_page):  # noqa: F811 - fixture
    page = browser_page
    base = live_server.url
    requests: list[str] = []
    console: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))

    # a provider's member signs in and lands on the provider's page
    _login(page, base, accounts["member"])
    page.wait_for_url(re.compile(r"/ausbau/anbieter/alpha/$"))
    assert page.locator("h1").inner_text() == "Ausbaupläne von Alpha Netz"
    assert "höchstens 200,0" in page.locator("#file-hint").inner_text()

    # uploads a plan: the script sends it and reports progress, then the checking step
    page.evaluate(STATUS_RECORDER)
    page.set_input_files("#id_file", accounts["plan"])
    page.get_by_role("button", name="Hochladen und prüfen").click()
    page.wait_for_url(re.compile(r"/ausbau/einreichungen/\d+/$"))
    statuses = [line.removeprefix("log: upload-status: ") for line in console if "upload-status: " in line]
    assert any(s.startswith("Wird hochgeladen: ") for s in statuses), statuses
    assert any(s.startswith("Datei übertragen. Sie wird geprüft") for s in statuses), statuses
    assert page.get_by_role("status").first.inner_text().startswith("Die Datei wurde geprüft und hat keine Fehler.")

    # sees the report and the diff as map and table
    assert page.locator("h1").inner_text() == "Datei „areas.geojson“"
    assert "0 Fehler, 0 Hinweise." in page.locator("section[aria-labelledby=report-heading]").inner_text()
    page.wait_for_selector(".leaflet-overlay-pane path[stroke='#1a7f37']")
    assert page.locator(".leaflet-overlay-pane path[stroke='#1a7f37']").count() == 3  # the three added areas
    assert page.locator("caption", has_text="3 Gebiete hinzugefügt").count() == 1
    assert page.locator(".legend li").all_inner_texts() == ["Hinzugefügt", "Entfernt", "Geändert"]
    page.wait_for_function("() => !document.querySelector('.leaflet-zoom-anim')")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "submission.png"), full_page=True)

    # accepts it; publishing is not hers to do
    page.get_by_role("button", name="Als neue Planversion annehmen").click()
    page.wait_for_load_state()
    assert "Als Version 1 angenommen." in page.get_by_role("status").first.inner_text()
    assert page.get_by_role("button", name=re.compile("veröffentlichen")).count() == 0
    assert _outside_event_loop(lambda: selectors.plan_versions_current(user=None).count()) == 0

    # a planner signs in, reviews and publishes
    page.get_by_role("button", name="Abmelden").click()
    _login(page, base, accounts["planner"])
    page.wait_for_url(re.compile(r"/ausbau/$"))
    page.get_by_role("link", name="Prüfung", exact=True).click()
    page.wait_for_url(re.compile(r"/ausbau/pruefung/$"))
    page.get_by_role("button", name=re.compile(r"^Version 1 veröffentlichen")).click()
    page.wait_for_load_state()
    assert "Version 1 von Alpha Netz ist veröffentlicht" in page.get_by_role("status").first.inner_text()
    assert "Jede angenommene Version ist veröffentlicht." in page.content()

    # the public now reads the plan and the availability at the address in area A-1
    public = _outside_event_loop(
        lambda: (
            [str(v) for v in selectors.plan_versions_current(user=None)],
            list(selectors.availability_visible(user=None).values_list("stage", "technology")),
        )
    )
    assert public == (["Alpha Netz v1"], [("under_construction", "ftth")])

    own_host = urlsplit(base).netloc
    assert [u for u in requests if urlsplit(u).scheme != "data" and urlsplit(u).netloc != own_host] == []
    assert [line for line in console if "Content Security Policy" in line or "Refused to" in line] == []
    assert [line for line in console if line.startswith("error")] == []


@pytest.fixture
def history(transactional_db) -> dict:
    """Committed rows: v1 (published) with two polygon areas, v2 (confidential) adding an address list."""
    from datetime import timedelta

    from django.utils import timezone

    from tests.factories import PlanAreaFactory, PlanVersionFactory, square

    CityFactory()
    alpha = ProviderFactory(slug="alpha", name="Alpha Netz")
    now = timezone.now()
    v1 = PlanVersionFactory(provider=alpha, number=1, accepted_at=now - timedelta(days=30), published_at=now)
    PlanAreaFactory(version=v1, key="A-1", stage="planned", expected_date="2030-01-01", expected_precision="quarter")
    PlanAreaFactory(version=v1, key="A-2", stage="bookable", geom=square(346000, 5696000, 347000, 5697000))
    v2 = PlanVersionFactory(provider=alpha, number=2, accepted_at=now - timedelta(days=1))
    PlanAreaFactory(version=v2, key="A-1", stage="planned", expected_date="2030-07-01", expected_precision="quarter")
    PlanAreaFactory(version=v2, key="A-2", stage="bookable", geom=square(346000, 5696000, 347000, 5697000))
    listed = PlanAreaFactory(version=v2, key="A-3", geom=None, stage="under_construction")
    listed.addresses.add(AddressFactory(), AddressFactory())
    member = member_of(alpha)
    member.set_password(PASSWORD)
    member.save()
    return {"member": member.username}


def test_version_page_map_and_plan_as_of_in_chromium(live_server, history, browser_page):  # noqa: F811 - fixture
    page = browser_page
    base = live_server.url
    requests: list[str] = []
    console: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: console.append(f"error: {error}"))

    _login(page, base, history["member"])
    page.wait_for_url(re.compile(r"/ausbau/anbieter/alpha/$"))

    # from the provider page's version list to version 2
    page.get_by_role("link", name="Version 2", exact=True).first.click()
    page.wait_for_url(re.compile(r"/ausbau/anbieter/alpha/versionen/2/$"))
    assert page.locator("h1").inner_text() == "Planversion 2 von Alpha Netz"
    # the map draws the planned area (dashed blue), the bookable one (solid green) and the address list's
    # two addresses as circles (orange, under construction)
    page.wait_for_selector(".leaflet-overlay-pane path[stroke='#0b4f9c']")
    page.wait_for_function("() => !document.querySelector('.leaflet-zoom-anim')")
    assert page.locator(".leaflet-overlay-pane path[stroke='#0b4f9c'][stroke-dasharray='10 6']").count() == 1
    assert page.locator(".leaflet-overlay-pane path[stroke='#1a7f37']").count() == 1
    assert page.locator(".leaflet-overlay-pane path[stroke='#b45309']").count() == 2
    assert page.locator(".legend li").count() == 4
    assert page.locator("caption", has_text="1 Gebiet hinzugefügt").count() == 1  # A-3 against version 1
    assert page.locator("caption", has_text="1 Gebiet mit verschobenem Termin").count() == 1
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "version.png"), full_page=True)

    # the plan as of ten days ago: version 1, with its two areas
    page.goto(base + "/ausbau/anbieter/alpha/")
    page.get_by_label("Datum", exact=True).fill(
        page.evaluate("() => new Date(Date.now() - 10 * 864e5).toISOString().slice(0, 10)")
    )
    page.get_by_role("button", name="Plan zu diesem Stichtag zeigen").click()
    page.wait_for_url(re.compile(r"\?stand=\d{4}-\d{2}-\d{2}#as-of-heading$"))
    result = page.locator("section[aria-labelledby=as-of-heading]").inner_text()
    assert "war Version 1 aktuell" in result
    assert "Die Öffentlichkeit sah damals keine Version dieses Plans." in result  # published only today
    page.screenshot(path=str(SCREENSHOTS / "provider-as-of.png"), full_page=True)

    own_host = urlsplit(base).netloc
    assert [u for u in requests if urlsplit(u).scheme != "data" and urlsplit(u).netloc != own_host] == []
    assert [line for line in console if "Content Security Policy" in line or "Refused to" in line] == []
    assert [line for line in console if line.startswith("error")] == []
