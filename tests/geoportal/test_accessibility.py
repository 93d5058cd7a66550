"""axe-core (axe-playwright-python, bundled: no network) over the site's pages in Chromium: WCAG 2.0/2.1 A and AA.

Every page of our own templates must have no violation at all. A failure names the page, the rule,
its help text and each offending element (CSS selector and markup), e.g.

    /ausbau/anbieter/x/ [color-contrast, serious] Elements must meet minimum color contrast ratio thresholds
        .state-current -> <span class="state state-current">neueste</span>

pygeoapi's HTML under /ogc (made from its templates by scripts/ogc_templates.py) is checked separately
against a list of known violations, so that a new one fails there too.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth.models import AnonymousUser
from django.core.files import File
from django.utils import timezone
from playwright.sync_api import sync_playwright

from layers.demo import demo_generate
from rollout.models import PlanSubmission, PlanVersion
from rollout.selectors import plan_areas_visible
from rollout.services import submission_create
from schools.models import School
from tests.factories import member_of, planner
from tests.geoportal.conftest import city_data_load
from tests.geoportal.test_browser import CHROMIUM, browser_page, plain_static  # noqa: F401 - fixtures
from tests.ogc.test_browser import CHROMIUM_ARGS as WEBGL_ARGS
from tests.rollout.conftest import PLANS

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
DESKTOP = {"width": 1280, "height": 1100}
PHONE = {"width": 390, "height": 844}
PASSWORD = "a-long-test-password"  # noqa: S105 - test accounts only

# pygeoapi's own pages (/ogc, HTML from its Jinja templates, copied by scripts/ogc_templates.py): violations
# we know of and have not fixed there, by (page, axe rule), each with its cause. Anything else fails the test.
# Empty: the landing page's mailto, collection.html's lists, the items page's title and limit selector are
# fixed by scripts/ogc_templates.py's PATCHES (and OGC_CONTACT_EMAIL); a pygeoapi upgrade may need entries here.
KNOWN_OGC_VIOLATIONS: dict[tuple[str, str], str] = {}


def axe_violations(page, *, where: str) -> list[str]:
    """axe's WCAG 2.0/2.1 A+AA violations on the loaded page, one line per rule and element."""
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]})
    lines = []
    for violation in results.response["violations"]:
        for node in violation["nodes"]:
            target = " ".join(str(t) for t in node["target"])
            lines.append(
                f"{where} [{violation['id']}, {violation['impact']}] {violation['help']}\n"
                f"    {target} -> {node['html'][:200]}"
            )
    return lines


def _settled(page) -> None:
    """Wait until a page's map (if any) has drawn and stopped zooming, so axe sees the final markup."""
    page.wait_for_load_state("load")
    if page.locator(".folium-map").count():
        page.wait_for_selector(".leaflet-overlay-pane svg, .leaflet-marker-pane *", state="attached")
        page.wait_for_function("() => !document.querySelector('.leaflet-zoom-anim')")
    if page.locator("[data-portal-map]").count():  # the residents' map (drawn, or failed without WebGL)
        maps = "[...document.querySelectorAll('[data-portal-map]')]"
        page.wait_for_function(f"() => {maps}.every((m) => m.dataset.ready || m.dataset.failed)", timeout=60_000)
    if page.locator("#tileset-map").count():  # the tiles page's MapLibre map (ogc/static/ogc/tileset-map.js)
        page.wait_for_function("() => document.querySelector('#tileset-map').dataset.renderedFeatures !== undefined")


def _outside_event_loop(function):
    """Playwright's sync API runs an event loop, in which Django refuses queries: ask from another thread."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function).result()


@pytest.fixture
def site(transactional_db, settings, tmp_path) -> dict:
    """The city's data and the demo (providers, versions, an unpublished version), two accounts, the URLs to check."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.DOWNLOAD_CACHE_DIR = tmp_path / "downloads"
    settings.CITY_AGS = "05117000"
    city_data_load()
    demo_generate(seed=3, addresses=2000)
    # the demo provider with the longest history, and its newest version (slipped dates, cancellations)
    version = PlanVersion.objects.select_related("provider").order_by("-number", "provider__slug").first()
    provider = version.provider
    # a handed-in file with a diff map and a report (warnings are fine; errors hide the diff)
    submission = (
        PlanSubmission.objects.filter(provider=provider, version__number__gt=1).order_by("-received_at").first()
    )
    # a file awaiting a decision (accept and reject forms) and a broken one (error summary, report tables)
    pending = _submit(provider, PLANS / "valid" / "areas.geojson")
    broken = _submit(provider, PLANS / "invalid" / "unknown_stage.csv")
    member, city_planner = member_of(provider), planner()
    for user in (member, city_planner):
        user.set_password(PASSWORD)
        user.save()
    as_of = (timezone.localdate() - timedelta(days=100)).isoformat()
    slug = provider.slug
    return {
        "member": member.username,
        "planner": city_planner.username,
        "public": ["/", "/quellen/", "/daten/", "/konto/anmelden/", "/en/", "/en/daten/", "/gibt-es-nicht/"],
        "member_pages": [
            f"/ausbau/anbieter/{slug}/",
            f"/ausbau/anbieter/{slug}/?stand={as_of}",
            f"/ausbau/anbieter/{slug}/?stand=2999-01-01",  # the form error
            f"/ausbau/einreichungen/{submission.pk}/",
            f"/ausbau/einreichungen/{pending.pk}/",
            f"/ausbau/einreichungen/{broken.pk}/",
            f"/ausbau/anbieter/{slug}/versionen/{version.number}/",
            f"/en/ausbau/anbieter/{slug}/versionen/{version.number}/",
            f"/en/ausbau/anbieter/{slug}/",
        ],
        "planner_pages": ["/ausbau/", "/ausbau/pruefung/", f"/ausbau/einreichungen/{pending.pk}/"],
    }


def _submit(provider, path: Path) -> PlanSubmission:
    with path.open("rb") as handle:
        return submission_create(provider=provider, file=File(handle, name=path.name), by=None)


def _login(page, base: str, username: str) -> None:
    page.goto(base + "/konto/anmelden/")
    page.get_by_label("Benutzername").fill(username)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url(lambda url: "/konto/anmelden/" not in url)


def test_our_pages_have_no_wcag_violations(live_server, site, browser_page):  # noqa: F811 - fixture
    page = browser_page
    base = live_server.url
    found: list[str] = []

    def check(path: str) -> None:
        response = page.goto(base + path)
        assert response is not None
        assert response.status < 500, f"{path}: {response.status}"
        _settled(page)
        found.extend(axe_violations(page, where=path))
        # and on a phone's width, where wide tables scroll and the header wraps
        page.set_viewport_size(PHONE)
        found.extend(axe_violations(page, where=f"{path} (phone)"))
        page.set_viewport_size(DESKTOP)

    for path in site["public"]:
        check(path)
    _login(page, base, site["member"])
    for path in site["member_pages"]:
        check(path)
    page.goto(base + "/ausbau/")
    page.get_by_role("button", name="Abmelden").click()
    _login(page, base, site["planner"])
    for path in site["planner_pages"]:
        check(path)

    assert not found, "axe found WCAG 2.1 A/AA violations:\n" + "\n".join(found)


def test_the_check_reports_rule_and_element(live_server, transactional_db, browser_page):  # noqa: F811 - fixture
    """The check itself: an image without text alternative and white-on-white text are found and named."""
    page = browser_page
    page.goto(live_server.url + "/konto/anmelden/")
    page.evaluate(
        """() => {
          const img = document.createElement("img");
          img.id = "no-alt"; img.src = "/static/geoportal/favicon.svg";
          const faint = document.createElement("p");
          faint.id = "faint"; faint.textContent = "kaum lesbar"; faint.style.color = "#eeeeee";
          document.querySelector("main").append(img, faint);
        }"""
    )
    found = "\n".join(axe_violations(page, where="/konto/anmelden/"))
    assert "[image-alt, critical]" in found
    assert "#no-alt -> <img" in found
    assert "[color-contrast, serious]" in found
    assert "#faint -> <p" in found


@pytest.fixture
def ogc_pages(transactional_db, settings, tmp_path) -> list[str]:
    """Every kind of /ogc HTML page a user reaches from the landing page, with the demo's rollout data."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CITY_AGS = "05117000"
    # pygeoapi's CSS and images, as collectstatic puts them where /ogc/static/ serves them (ogc.views.pygeoapi_static)
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STATIC_ROOT.mkdir()
    (settings.STATIC_ROOT / "pygeoapi").symlink_to(settings.PYGEOAPI_STATIC)
    city_data_load()
    demo_generate(seed=3, addresses=2000)
    school = School.objects.order_by("pk").first().pk
    area = plan_areas_visible(user=AnonymousUser()).order_by("pk").first().pk
    return [
        "/ogc?f=html",
        "/ogc?f=html&lang=en",
        "/ogc/conformance?f=html",
        "/ogc/collections?f=html",
        "/ogc/collections/schools?f=html",
        "/ogc/collections/schools/items?f=html",
        f"/ogc/collections/schools/items/{school}?f=html",
        "/ogc/collections/schools/queryables?f=html",
        "/ogc/collections/metadata?f=html",
        "/ogc/collections/metadata/items?f=html",
        "/ogc/collections/metadata/items/schulen?f=html",
        "/ogc/collections/rollout-areas?f=html",
        "/ogc/collections/rollout-areas/items?f=html&limit=10",
        f"/ogc/collections/rollout-areas/items/{area}?f=html",
        "/ogc/collections/addresses/tiles?f=html",
        "/ogc/collections/addresses/tiles/WebMercatorQuad?f=html",
        "/ogc/tileMatrixSets?f=html",
        "/ogc/tileMatrixSets/WebMercatorQuad?f=html",
    ]


@pytest.fixture
def webgl_page(plain_static):  # noqa: F811 - fixture
    """Chromium with WebGL (SwiftShader), so the tileset page's MapLibre map is drawn when axe looks."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=WEBGL_ARGS)
        # A German browser (Accept-Language: de-DE), as most of the city's visitors
        yield browser.new_page(viewport=DESKTOP, locale="de-DE")
        browser.close()


def test_the_drawn_home_map_has_no_wcag_violations(live_server, site, webgl_page):
    """The home page with its MapLibre map drawn (WebGL: controls, canvas, credits), at desktop and phone width."""
    page = webgl_page
    found: list[str] = []
    for viewport in (DESKTOP, PHONE):
        page.set_viewport_size(viewport)
        page.goto(live_server.url + "/")
        page.wait_for_function("() => document.querySelector('#portal-map').dataset.ready === 'true'", timeout=60_000)
        found.extend(axe_violations(page, where=f"/ with the map ({viewport['width']} px)"))
    assert not found, "axe found WCAG 2.1 A/AA violations:\n" + "\n".join(found)


def test_ogc_pages_have_no_new_wcag_violations(live_server, ogc_pages, webgl_page):
    page = webgl_page
    found: list[str] = []
    known: set[tuple[str, str]] = set()
    for path in ogc_pages:
        response = page.goto(live_server.url + path)
        assert response is not None
        assert response.status == 200, f"{path}: {response.status}"
        _settled(page)
        lines = axe_violations(page, where=path)
        page.set_viewport_size(PHONE)
        lines += axe_violations(page, where=f"{path} (phone)")
        page.set_viewport_size(DESKTOP)
        for line in lines:
            rule = line.split(" [", 1)[1].split(",", 1)[0]
            if (path, rule) in KNOWN_OGC_VIOLATIONS:
                known.add((path, rule))
            else:
                found.append(line)
    assert not found, "axe found new WCAG 2.1 A/AA violations on pygeoapi's pages:\n" + "\n".join(found)
    # a known violation that is gone (pygeoapi upgraded, template patched) is taken off the list
    assert known == set(KNOWN_OGC_VIOLATIONS), (
        f"fixed, remove from KNOWN_OGC_VIOLATIONS: {set(KNOWN_OGC_VIOLATIONS) - known}"
    )
