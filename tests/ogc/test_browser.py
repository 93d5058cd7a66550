"""/ogc pages in a real headless Chromium: the tileset map (MapLibre draws our vector tiles), the items pages."""

from __future__ import annotations

import base64
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.gis.geos import Point
from playwright.sync_api import sync_playwright

from layers.models import SRID
from ogc.tiles.matrix import city_bbox_forget
from tests.factories import AddressFactory
from tests.ogc.conftest import city_load

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
# MapLibre needs WebGL: headless Chromium without a GPU gives it through SwiftShader (software).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parent.parent.parent / "var" / "screenshots"
TILE = re.compile(r"/ogc/collections/addresses/tiles/WebMercatorQuad/(\d+)/(\d+)/(\d+)$")
# The points' colour in ogc/static/ogc/tileset-map.js (DATA_COLOUR).
RED = (0xB3, 0x26, 0x1E)
# Counts the pixels of the screenshot (a PNG, decoded by the browser) near RED, and finds one of them.
COUNT_RED = """async ([png, red]) => {
  const image = new Image();
  image.src = "data:image/png;base64," + png;
  await image.decode();
  const canvas = document.createElement("canvas");
  canvas.width = image.width;
  canvas.height = image.height;
  const context = canvas.getContext("2d");
  context.drawImage(image, 0, 0);
  const pixels = context.getImageData(0, 0, image.width, image.height).data;
  let count = 0, first = null;
  for (let i = 0; i < pixels.length; i += 4) {
    const near = Math.abs(pixels[i] - red[0]) + Math.abs(pixels[i + 1] - red[1]) + Math.abs(pixels[i + 2] - red[2]);
    if (near < 40) {
      count += 1;
      if (first === null) first = [(i / 4) % image.width, Math.floor(i / 4 / image.width)];
    }
  }
  return {count, first};
}"""


@pytest.fixture
def plain_static(settings) -> None:
    """live_server serves static files through the finders, which know no manifest (as in test_browser.py)."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def page(plain_static):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        # A German browser: the page follows Accept-Language.
        page = browser.new_page(viewport={"width": 1200, "height": 1000}, locale="de-DE")
        yield page
        browser.close()


@pytest.fixture
def addresses(transactional_db, settings, tmp_path) -> list[int]:
    """The city and 40 addresses around the centre of its extent, where the page's map opens (committed:
    the live server runs in another thread). Read here, before Playwright's event loop forbids queries."""
    settings.CACHES = {
        **settings.CACHES,
        "shared": {"BACKEND": "geoportal.cache.SharedFileCache", "LOCATION": str(tmp_path / "cache")},
    }
    city_bbox_forget()
    city_load()
    from ogc.tiles.matrix import city_bbox

    west, south, east, north = city_bbox()
    centre = Point((west + east) / 2, (south + north) / 2, srid=4326).transform(SRID, clone=True)
    ids = [
        AddressFactory(geom=Point(centre.x - 400 + 100 * (i % 8), centre.y - 200 + 100 * (i // 8), srid=SRID)).pk
        for i in range(40)
    ]
    yield ids
    city_bbox_forget()


def test_tileset_page_draws_our_vector_tiles(live_server, addresses, page, settings):
    # A basemap from our own host (any image serves as a tile): its requests must go where BASEMAP_URL says.
    settings.BASEMAP_URL = live_server.url + "/static/pygeoapi/img/logo.png?tile={z}/{x}/{y}"
    settings.BASEMAP_ATTRIBUTION = "Testbasiskarte"
    responses: list[tuple[str, int]] = []
    requests: list[str] = []
    console: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("response", lambda response: responses.append((response.url, response.status)))
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: console.append(f"error: {error}"))

    page.goto(live_server.url + "/ogc/collections/addresses/tiles/WebMercatorQuad?f=html")
    page.wait_for_function(
        "() => Number(document.querySelector('#tileset-map').dataset.renderedFeatures) > 0", timeout=60_000
    )

    # MapLibre asked for our tiles at the zoom the page opens with, and got some with features.
    tiles = [(TILE.search(urlsplit(url).path), status) for url, status in responses if TILE.search(urlsplit(url).path)]
    assert {match.group(1) for match, _ in tiles} == {"14"}
    assert all(status in (200, 204) for _, status in tiles)
    assert any(status == 200 for _, status in tiles)
    # 256-pixel raster tiles: MapLibre (512-pixel zoom levels) asks for them one level deeper.
    assert any("/static/pygeoapi/img/logo.png?tile=15/" in url and status == 200 for url, status in responses)
    assert any("maplibre-gl-worker.mjs" in url for url in requests)

    # It draws all 40 addresses: the page says so in words, and the screenshot shows red points.
    status = page.locator("#tileset-map-status")
    assert status.inner_text() == "Der Kartenausschnitt zeigt 40 Objekte."
    assert page.locator("#tileset-map").get_attribute("data-rendered-features") == "40"
    assert "Testbasiskarte" in page.locator(".maplibregl-ctrl-attrib").inner_text()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "ogc-tileset-page.png"), full_page=True)
    shot = page.locator("#tileset-map").screenshot(path=str(SCREENSHOTS / "ogc-tileset-map.png"))
    red = page.evaluate(COUNT_RED, [base64.b64encode(shot).decode(), list(RED)])
    assert red["count"] > 40 * 10  # each point is a disc of several pixels

    # A click on a point shows its attributes.
    box = page.locator("#tileset-map").bounding_box()
    page.mouse.click(box["x"] + red["first"][0] + 1, box["y"] + red["first"][1] + 2)
    popup = page.locator(".maplibregl-popup-content")
    popup.wait_for()
    assert "street" in popup.inner_text()
    assert int(re.search(r"\bid\s+(\d+)", popup.inner_text()).group(1)) in addresses

    own_host = urlsplit(live_server.url).netloc
    assert [
        url for url in requests if urlsplit(url).scheme not in ("data", "blob") and urlsplit(url).netloc != own_host
    ] == []
    assert [url for url in requests if url.startswith("blob:")] == []  # the worker is a file of ours, not a blob
    assert [line for line in console if "Content Security Policy" in line or "Refused to" in line] == []
    assert [line for line in console if line.startswith("error")] == []


def test_tileset_page_says_to_zoom_in_below_the_tiles(live_server, addresses, page):
    page.goto(live_server.url + "/ogc/collections/addresses/tiles/WebMercatorQuad?f=html&lang=en")
    page.wait_for_function("() => document.querySelector('#tileset-map').dataset.renderedFeatures === '40'")
    page.locator(".maplibregl-ctrl-zoom-out").click()
    page.locator(".maplibregl-ctrl-zoom-out").click()
    page.wait_for_function("() => document.querySelector('#tileset-map').dataset.renderedFeatures === '0'")
    assert page.locator("#tileset-map-status").inner_text() == "Zoom in to level 13 or closer to see the tiles."


@pytest.fixture
def city(transactional_db) -> None:
    city_load()


def test_items_page_limit_selector_keeps_the_query(live_server, city, page):
    """Choosing another page size keeps crs, bbox and filter and starts again at the first page."""
    query = "crs=EPSG%3A25832&bbox=340000,5690000,370000,5710000&bbox-crs=EPSG%3A25832&filter=pupils%3E100"
    page.goto(f"{live_server.url}/ogc/collections/schools/items?f=html&limit=10&offset=10&{query}")
    page.locator("#limits").select_option("100")
    page.wait_for_url(re.compile(r"limit=100"))
    assert parse_qs(urlsplit(page.url).query) == {
        "f": ["html"],
        "limit": ["100"],
        "crs": ["EPSG:25832"],
        "bbox": ["340000,5690000,370000,5710000"],
        "bbox-crs": ["EPSG:25832"],
        "filter": ["pupils>100"],
    }
    assert page.locator("table tbody tr").count() > 10
