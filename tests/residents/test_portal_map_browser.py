"""The residents' map on the home page in a real headless Chromium (WebGL by SwiftShader): it draws the
addresses in their stage colours, the legend names the stages, a click opens the popup with the link, a
provider layer switches on, no request leaves the site, no CSP violation, and an unpublished plan's
addresses never reach the map. Screenshots at 1280 and 375 px go to var/screenshots/."""

from __future__ import annotations

import base64
import re
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from layers.demo import demo_generate
from layers.models import Address
from ogc.tiles.matrix import city_bbox_forget
from residents.maps import STAGE_COLOURS
from rollout.models import PlanArea, PlanVersion
from rollout.selectors import address_status
from rollout.services import availability_recompute
from tests.factories import ProviderFactory
from tests.geoportal.conftest import city_data_load
from tests.ogc.test_browser import CHROMIUM_ARGS, COUNT_RED, SCREENSHOTS, plain_static  # noqa: F401 - fixture

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
READY = "() => document.querySelector('#portal-map').dataset.ready === 'true'"


@pytest.fixture
def demo_city(transactional_db, settings, tmp_path) -> dict:
    """The city, the demo with its published plans, and an unpublished plan of another provider over addresses
    nobody else plans at (committed: the live server runs in another thread). Read here, before Playwright's
    event loop forbids queries."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CITY_AGS = "05117000"
    settings.CACHES = {
        **settings.CACHES,
        "shared": {"BACKEND": "geoportal.cache.SharedFileCache", "LOCATION": str(tmp_path / "cache")},
    }
    city_bbox_forget()
    city_data_load()
    demo_generate(seed=3, addresses=2000)
    published = {row.pk: row for row in address_status(user=None)}
    # The street with the most addresses of one stage: where the test zooms in.
    target = max(published.values(), key=lambda a: sum(1 for b in published.values() if b.street == a.street))
    secret_ids = list(
        Address.objects.exclude(pk__in=published).filter(postcode=target.postcode).values_list("pk", flat=True)[:40]
    )
    version = PlanVersion.objects.create(provider=ProviderFactory(slug="geheim", name="Geheim"), number=1,
                                         accepted_at=timezone.now())  # fmt: skip
    area = PlanArea.objects.create(version=version, key="g", stage="bookable", technology="ftth", max_down_mbits=10_000)
    area.addresses.set(secret_ids)
    availability_recompute()
    point = target.geom.transform(4326, clone=True)
    secret = Address.objects.get(pk=secret_ids[0]).geom.transform(4326, clone=True)
    yield {
        "target": {"id": target.pk, "street": target.street, "stage": target.stage, "lonlat": (point.x, point.y)},
        "secret_ids": set(secret_ids),
        "secret_lonlat": (secret.x, secret.y),
        "provider": PlanVersion.objects.filter(published_at__isnull=False).first().provider.slug,
    }
    city_bbox_forget()


@pytest.fixture
def browser(plain_static):  # noqa: F811 - fixture
    from pathlib import Path

    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _watch(page) -> tuple[list[str], list[str]]:
    requests: list[str] = []
    console: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: console.append(f"error: {error}"))
    return requests, console


def _jump(page, lonlat, zoom) -> None:
    page.evaluate(
        """([lonlat, zoom]) => {
             const element = document.querySelector('#portal-map');
             element.dataset.ready = 'false';
             element.portalMap.jumpTo({center: lonlat, zoom});
           }""",
        [list(lonlat), zoom],
    )
    page.wait_for_function(READY, timeout=60_000)


def _rendered_ids(page) -> set[int]:
    return set(
        page.evaluate(
            "() => document.querySelector('#portal-map').portalMap"
            ".queryRenderedFeatures({layers: ['status-points']}).map((f) => f.id)"
        )
    )


def _clean(live_server, requests, console) -> None:
    own_host = urlsplit(live_server.url).netloc
    assert [u for u in requests if urlsplit(u).scheme not in ("data", "blob") and urlsplit(u).netloc != own_host] == []
    assert [line for line in console if "Content Security Policy" in line or "Refused to" in line] == []
    assert [line for line in console if line.startswith("error")] == []


def test_home_map_draws_the_stages_opens_popups_and_switches_providers(live_server, demo_city, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 1100}, locale="de-DE")
    requests, console = _watch(page)
    page.goto(live_server.url + "/")
    page.wait_for_function(READY, timeout=60_000)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "home-map-1280.png"), full_page=True)

    # Zoomed out: the page says to zoom in; the legend names every stage in German, with its number.
    assert "Zoomen Sie hinein" in page.locator("#portal-map-status").inner_text()
    legend = page.locator(".map-legend").inner_text()
    for label in ("Buchbar", "Im Bau", "Geplant", "Vorvermarktung", "Abgesagt"):
        assert label in legend
    assert re.search(r"Buchbar\s+[\d.]+ Adressen", legend)

    # Zoomed to a street: its addresses drawn in their stage's colour, and the page says how many.
    target = demo_city["target"]
    _jump(page, target["lonlat"], 17.5)
    ids = _rendered_ids(page)
    assert target["id"] in ids
    assert not ids & demo_city["secret_ids"]
    assert re.fullmatch(r"Der Kartenausschnitt zeigt [\d.]+ Adressen mit veröffentlichten Ausbauplänen\.",
                        page.locator("#portal-map-status").inner_text())  # fmt: skip
    shot = page.locator("#portal-map").screenshot(path=str(SCREENSHOTS / "home-map-1280-street.png"))
    colour = STAGE_COLOURS[target["stage"]]
    rgb = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    assert page.evaluate(COUNT_RED, [base64.b64encode(shot).decode(), rgb])["count"] > 50

    # A click on the address opens its popup: the address, the stage in words, the link to its page.
    x, y = page.evaluate(
        "(lonlat) => { const p = document.querySelector('#portal-map').portalMap.project(lonlat); return [p.x, p.y]; }",
        list(target["lonlat"]),
    )
    box = page.locator("#portal-map").bounding_box()
    page.mouse.click(box["x"] + x, box["y"] + y)
    popup = page.locator(".maplibregl-popup-content")
    popup.wait_for()
    text = popup.inner_text()
    assert target["street"] in text
    labels = {
        s["code"]: s["label"]
        for s in page.evaluate("() => JSON.parse(document.querySelector('#portal-map').dataset.stages)")
    }
    assert labels[target["stage"]] in text
    link = popup.get_by_role("link", name="Details")
    assert link.get_attribute("href") == f"/adresse/nr/{target['id']}/"

    # A provider's layer switches on in its colour; the other layers switch off.
    page.locator(".maplibregl-popup-close-button").click()
    page.locator(f"[data-provider-toggle='{demo_city['provider']}']").check()
    page.locator("[data-layer-toggle='status']").uncheck()
    visibility = page.evaluate(
        "(slug) => { const m = document.querySelector('#portal-map').portalMap;"
        " return [m.getLayoutProperty(`provider-${slug}-points`, 'visibility'),"
        " m.getLayoutProperty('status-points', 'visibility')]; }",
        demo_city["provider"],
    )
    assert visibility == ["visible", "none"]
    page.wait_for_timeout(1500)
    page.locator("#portal-map").screenshot(path=str(SCREENSHOTS / "home-map-1280-provider.png"))

    # The unpublished plan's addresses: not drawn where they are either.
    page.locator("[data-layer-toggle='status']").check()
    _jump(page, demo_city["secret_lonlat"], 17.5)
    assert not _rendered_ids(page) & demo_city["secret_ids"]

    assert any("maplibre-gl-worker.mjs" in url for url in requests)
    assert any("noto-sans-latin-400-normal" in url for url in requests)  # the labels' font, from this site
    assert not any("/tiles/" in url and "geheim" in url for url in requests)
    _clean(live_server, requests, console)

    # In English too.
    page.get_by_role("button", name="English").click()
    page.wait_for_url(re.compile(r"/en/$"))
    page.wait_for_function(READY, timeout=60_000)
    assert "Bookable" in page.locator(".map-legend").inner_text()


def test_home_map_on_a_phone_keeps_the_attribution_small(live_server, demo_city, browser):
    page = browser.new_page(viewport={"width": 375, "height": 812}, locale="de-DE", has_touch=True, is_mobile=True)
    requests, console = _watch(page)
    page.goto(live_server.url + "/")
    page.wait_for_function(READY, timeout=60_000)
    page.screenshot(path=str(SCREENSHOTS / "home-map-375.png"), full_page=True)

    canvas = page.locator("#portal-map").bounding_box()
    credits = page.locator(".maplibregl-ctrl-attrib").bounding_box()
    assert canvas["width"] <= 375
    assert credits["height"] < canvas["height"] / 6, (credits, canvas)
    assert credits["width"] < canvas["width"] / 3  # the "i" button, not a line across the map
    page.locator(".maplibregl-ctrl-attrib-button").click()  # the credits open on request
    assert "GeoBasis-DE" in page.locator(".maplibregl-ctrl-attrib-inner").inner_text()

    _jump(page, demo_city["target"]["lonlat"], 17)
    page.locator("#portal-map").screenshot(path=str(SCREENSHOTS / "home-map-375-street.png"))
    page.locator(f"[data-provider-toggle='{demo_city['provider']}']").check()
    page.wait_for_timeout(1500)
    page.locator("#portal-map").screenshot(path=str(SCREENSHOTS / "home-map-375-provider.png"))
    _clean(live_server, requests, console)


def test_configured_basemap_is_drawn_under_the_data_from_its_host(live_server, demo_city, browser, settings):
    # A basemap from our own host (any image serves as a tile): its requests go where BASEMAP_URL says.
    settings.BASEMAP_URL = live_server.url + "/static/geoportal/favicon.svg?tile={z}/{x}/{y}"
    settings.BASEMAP_ATTRIBUTION = "Testbasiskarte <b>fett</b>"
    page = browser.new_page(viewport={"width": 1280, "height": 1100}, locale="de-DE")
    requests, console = _watch(page)
    page.goto(live_server.url + "/")
    page.wait_for_function(READY, timeout=60_000)

    assert any("favicon.svg?tile=" in url for url in requests)
    layers = page.evaluate("() => document.querySelector('#portal-map').portalMap.getStyle().layers.map((l) => l.id)")
    assert layers.index("basemap") < layers.index("streets-line") < layers.index("status-points")
    credits = page.locator(".maplibregl-ctrl-attrib-inner")
    assert "Testbasiskarte <b>fett</b>" in credits.inner_text()  # shown as text, not as markup
    assert credits.locator("b").count() == 0
    _clean(live_server, requests, console)
