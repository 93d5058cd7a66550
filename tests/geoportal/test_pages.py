"""Home, sources and error pages, CSP and the admin, through Django's test client."""

import html
import re

import pytest
from django.contrib.gis.geos import MultiPolygon, Point, Polygon

from layers.models import Address, BroadbandAtlasValue, District, Facility, Layer
from rollout.models import Provider
from schools.models import School
from tests.factories import AddressFactory

pytestmark = pytest.mark.django_db

SCRIPT_TAG = re.compile(r"<script\b[^>]*>", re.IGNORECASE)
# Anything that makes the browser fetch: script src, stylesheet/icon links, images, frames.
FETCHING_URL = re.compile(r"<(?:script|link|img|iframe|source)\b[^>]*\b(?:src|href)=[\"']([^\"']+)", re.IGNORECASE)


def _demo_district() -> District:
    square = Polygon(((360000, 5700000), (361000, 5700000), (361000, 5701000), (360000, 5700000)), srid=25832)
    return District.objects.create(
        code="demo-1", name="Demobezirk", level=District.Level.BOROUGH, geom=MultiPolygon(square), is_demo=True
    )


def _has_static(urls: list[str], stem: str, suffix: str) -> bool:
    """Whether ``urls`` load ``/static/<stem><suffix>``, with or without the manifest's content hash."""
    pattern = re.compile(rf"^/static/{re.escape(stem)}(\.[0-9a-f]{{12}})?{re.escape(suffix)}$")
    return any(pattern.match(url) for url in urls)


def _external(urls: list[str]) -> list[str]:
    return [u for u in urls if re.match(r"^(https?:)?//", u)]


def test_home_shows_the_residents_map_configured_for_our_tiles(client, city):
    response = client.get("/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Mülheim an der Ruhr" in html
    assert 'lang="de"' in html
    assert "Glasfaserausbau in" in html
    attributes = response.context["portal_map"]["attributes"]
    assert attributes["status-tiles"] == "/ogc/collections/address-status/tiles/WebMercatorQuad/{z}/{y}/{x}"
    assert attributes["streets-tiles"] == "/ogc/collections/streets/tiles/WebMercatorQuad/{z}/{y}/{x}"
    assert attributes["address-url"] == "/adresse/nr/{id}/"
    assert 'data-portal-map=""' in html
    # the legend is text on the page: every stage, in German
    for label in ("Buchbar", "Im Bau", "Geplant", "Abgesagt"):
        assert label in html


def test_home_counts_schools(client, city):
    response = client.get("/")

    assert response.context["counts"]["schools"] == School.objects.filter(is_school=True).count()


def test_home_has_no_demo_banner_without_demo_rows(client, city):
    response = client.get("/")

    assert "banner-demo" not in response.content.decode()


DEMO_GERMAN = "Bezirksgrenzen, Adressen, Einrichtungen, Anbieter und ihre Ausbaupläne sind erfunden"
DEMO_ENGLISH = "district boundaries, addresses, facilities, providers and their rollout plans are generated"


def test_home_shows_demo_banner_with_demo_rows(client, city):
    _demo_district()

    response = client.get("/")

    html = response.content.decode()
    assert "banner-demo" in html
    assert DEMO_GERMAN in html


def test_every_page_shows_the_demo_banner_while_demo_data_is_loaded(client, city):
    """The site's pages, the planners' and providers' pages and pygeoapi's /ogc pages alike, in both languages."""
    from django.utils import timezone

    from rollout.models import PlanSubmission
    from tests.factories import PlanAreaFactory, PlanVersionFactory, ProviderFactory, planner

    provider = ProviderFactory(slug="alpha", is_demo=True)
    submission = PlanSubmission.objects.create(provider=provider, original_name="plan.gpkg", received_at=timezone.now())
    version = PlanVersionFactory(provider=provider, number=1)
    PlanAreaFactory(version=version)
    client.force_login(planner())
    pages = [
        "/",
        "/quellen/",
        "/daten/",
        "/ausbau/",
        "/ausbau/pruefung/",
        f"/ausbau/einreichungen/{submission.pk}/",
        f"/ausbau/anbieter/alpha/versionen/{version.number}/",
        "/ogc?f=html",
        "/ogc/collections?f=html",
        "/ogc/collections/addresses/items?f=html",
    ]
    for page in pages:
        response = client.get(page, follow=True)
        assert response.status_code == 200, page
        assert DEMO_GERMAN in response.content.decode(), page
    assert DEMO_ENGLISH in client.get("/en/ausbau/pruefung/").content.decode()
    assert DEMO_ENGLISH in client.get("/ogc?f=html&lang=en").content.decode()
    # and once the demo rows are gone, no page says so
    Provider.objects.filter(is_demo=True).update(is_demo=False)
    for page in ["/ausbau/pruefung/", "/ogc?f=html"]:
        assert "banner-demo" not in client.get(page).content.decode(), page


def test_home_map_loads_only_vendored_maplibre_and_our_font(client, city):
    html = client.get("/").content.decode()

    urls = FETCHING_URL.findall(html)
    assert _has_static(urls, "residents/js/portal-map", ".js")
    assert _has_static(urls, "vendor/maplibre-gl-6.17.0/maplibre-gl", ".css")
    assert re.search(r'data-library="/static/vendor/maplibre-gl-6\.17\.0/maplibre-gl(\.[0-9a-f]{12})?\.mjs"', html)
    assert re.search(r'data-font-latin="/static/vendor/noto-sans-5\.3\.0/noto-sans-latin-400-normal', html)
    assert _external(urls) == []
    assert not re.search(r'data-[\w-]+="(https?:)?//', html)  # no attribute sends the map to another host
    for banned in ("jquery", "bootstrap", "font-awesome", "fontawesome", "cdn.", "<iframe", "leaflet"):
        assert banned not in html.lower()


def test_home_has_no_basemap_without_basemap_url(client, city, settings):
    settings.BASEMAP_URL = ""

    html = client.get("/").content.decode()

    assert 'data-basemap=""' in html


def test_home_uses_configured_basemap(client, city, settings):
    settings.BASEMAP_URL = "https://tiles.example.org/{z}/{x}/{y}.png"
    settings.BASEMAP_ATTRIBUTION = "Basiskarte <Beispiel>"

    html = client.get("/").content.decode()

    assert 'data-basemap="https://tiles.example.org/{z}/{x}/{y}.png"' in html
    # MapLibre inserts attributions as HTML: escaped once for it, once more for the attribute
    assert 'data-basemap-attribution="Basiskarte &amp;lt;Beispiel&amp;gt;"' in html


def test_home_map_credits_the_catalogue_attributions(client, city):
    attribution = client.get("/").context["portal_map"]["attributes"]["attribution"]

    for slug in ("stadtgrenze", "schulen", "strassen"):
        assert html.escape(Layer.objects.get(slug=slug).attribution) in attribution
    assert "gewaesser" not in attribution  # no water loaded, none drawn, none credited


def test_csp_header_allows_only_our_scripts_and_every_script_is_ours_or_nonced(client, city):
    response = client.get("/")

    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    # The home page has no inline script left (the map is a module script with data-* configuration): a nonce
    # is in the policy only when a page used one, and then every inline script must carry it.
    nonce = re.search(r"'nonce-([^']+)'", policy)
    tags = SCRIPT_TAG.findall(response.content.decode())
    assert tags
    for tag in tags:
        src = re.search(r"\bsrc=[\"']([^\"']+)", tag)
        assert (nonce and f'nonce="{nonce.group(1)}"' in tag) or (src and src.group(1).startswith("/static/")), tag


def test_sources_lists_every_layer_attribution_and_software_licences(client, city):
    response = client.get("/quellen/")

    assert response.status_code == 200
    html = response.content.decode()
    for layer in Layer.objects.all():
        assert layer.title.replace("&", "&amp;") in html
        assert layer.attribution.replace("&", "&amp;") in html
        assert f'href="{layer.licence_url}"' in html
    assert "Leaflet" in html
    assert "OpenLayers" in html
    assert html.count("BSD-2-Clause") == 2
    assert "MapLibre GL JS</a> 6.17.0" in html
    assert re.search(r'href="/static/vendor/maplibre-gl-6\.17\.0/LICENSE[.\w]*\.txt" rel="license">BSD-3-Clause', html)
    assert "Demodaten" in html  # the demo layers of the catalogue are marked


def test_english_through_the_en_prefix(client, city):
    html = client.get("/en/").content.decode()

    assert '<html lang="en">' in html
    assert "Fibre rollout in" in html
    assert 'href="/en/quellen/"' in html


def test_language_switch_posts_to_set_language(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/quellen/"})

    assert response.status_code == 302
    assert response.headers["Location"] == "/en/quellen/"


def test_footer_links_sources_not_health(client, city):
    html = client.get("/").content.decode()

    footer = html[html.index("<footer") :]
    assert 'href="/quellen/"' in footer
    assert "healthz" not in html


def test_404_page_is_translated_and_has_no_internals(client, settings):
    settings.DEBUG = False

    german = client.get("/gibt-es-nicht/")
    english = client.get("/en/does-not-exist/")

    assert german.status_code == 404
    assert "Seite nicht gefunden" in german.content.decode()
    assert english.status_code == 404
    assert "Page not found" in english.content.decode()
    assert "Traceback" not in german.content.decode()


def test_500_page_has_no_internals(rf):
    from django.utils import translation

    from geoportal.views import server_error

    with translation.override("de"):
        response = server_error(rf.get("/"))

    assert response.status_code == 500
    assert "Etwas ist schiefgegangen" in response.content.decode()


# ---- admin -------------------------------------------------------------------

POINT = Point(360500, 5700500, srid=25832)


def _one_of_each() -> dict[str, object]:
    district = _demo_district()
    return {
        "layers/district": district,
        "layers/address": Address.objects.create(
            street="Teststraße", house_number=1, postcode="45468", geom=POINT, district=district
        ),
        "layers/facility": Facility.objects.create(name="Testbibliothek", category="bibliothek", geom=POINT),
        "layers/layer": Layer.objects.get(slug="schulen"),
        "layers/broadbandatlasvalue": BroadbandAtlasValue.objects.first(),
        "schools/school": School.objects.first(),
        "rollout/provider": Provider.objects.create(name="Testnetz", slug="testnetz"),
    }


GEO_MODELS = {"layers/district", "layers/address", "layers/facility", "layers/layer", "schools/school"}


@pytest.fixture
def admin_client_with_rows(client, django_user_model, city):
    from layers.services import broadband_atlas_load
    from tests.geoportal.conftest import CITY

    broadband_atlas_load(path=CITY / "broadband_breitbandatlas_muelheim_2005-2021.csv")
    user = django_user_model.objects.create_superuser("admin", "admin@example.org", "a-long-test-password")
    client.force_login(user)
    return client, _one_of_each()


def test_admin_changelists_and_change_forms_render_with_map_widget(admin_client_with_rows):
    client, rows = admin_client_with_rows
    for model, obj in rows.items():
        changelist = client.get(f"/admin/{model}/")
        change = client.get(f"/admin/{model}/{obj.pk}/change/")

        assert changelist.status_code == 200, model
        assert change.status_code == 200, model
        html = change.content.decode()
        urls = FETCHING_URL.findall(changelist.content.decode()) + FETCHING_URL.findall(html)
        assert _external(urls) == [], model
        if model in GEO_MODELS:
            assert "dj_map" in html, model
            assert _has_static(urls, "vendor/ol-10.9.0/ol", ".js"), model
            assert _has_static(urls, "geoportal/js/admin-map", ".js"), model
            assert "geoportalBasemap" in html, model
        assert "cdn.jsdelivr" not in html, model


def test_admin_pages_have_no_inline_scripts(admin_client_with_rows):
    client, rows = admin_client_with_rows
    html = client.get(f"/admin/layers/address/{rows['layers/address'].pk}/change/").content.decode()

    for tag in SCRIPT_TAG.findall(html):
        # JSON data blocks are not executed, so the CSP does not govern them.
        assert "src=" in tag or 'type="application/json"' in tag, tag


def test_address_admin_searches_street_and_postcode(admin_client_with_rows):
    client, _rows = admin_client_with_rows

    by_street = client.get("/admin/layers/address/", {"q": "Teststr"})
    by_postcode = client.get("/admin/layers/address/", {"q": "45468"})

    assert "Teststraße" in by_street.content.decode()
    assert "Teststraße" in by_postcode.content.decode()


@pytest.mark.django_db
def test_home_counts_use_the_german_thousands_separator(client):
    AddressFactory.create_batch(3, homes=400)

    html = client.get("/").content.decode()
    english = client.get("/en/").content.decode()

    assert "<dd>1.200</dd>" in html
    assert "<dd>1,200</dd>" in english
