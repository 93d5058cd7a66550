"""Regenerate ogc/templates/pygeoapi/ from the installed pygeoapi's templates.

pygeoapi's HTML templates load Leaflet, its plugins and Bootstrap from CDNs;
our pages load nothing from other hosts (CSP). This copies the few templates
that do and points them at the vendored Leaflet (/static/vendor/leaflet-1.9.4/),
dropping the plugins we do not ship. Run after upgrading pygeoapi:
    .venv/bin/python scripts/ogc_templates.py
"""

import re
from pathlib import Path

import pygeoapi

SOURCE = Path(pygeoapi.__file__).parent / "templates"
TARGET = Path(__file__).resolve().parent.parent / "ogc" / "templates" / "pygeoapi"
LEAFLET = "/static/vendor/leaflet-1.9.4"

PATCHES = [
    (r"https://unpkg\.com/leaflet@[\d.]+/dist/leaflet\.css", f"{LEAFLET}/leaflet.css"),
    (r"https://unpkg\.com/leaflet@[\d.]+/dist/leaflet\.js", f"{LEAFLET}/leaflet.js"),
    # Plugins and styles we do not vendor: drop the lines that load them.
    (r"\s*<(link|script)[^>]*https://(unpkg\.com|cdnjs\.cloudflare\.com)/[^>]*>(</script>)?", ""),
    # Without the markercluster plugin, a plain feature group.
    (r"L\.markerClusterGroup\(\{[^}]*\}\)", "L.featureGroup()"),
    # Our CSP allows scripts with the request's nonce only, never inline handlers: the search form's
    # handlers become listeners registered by the page's own (nonce-carrying) script. The search button
    # no longer also submits the form itself (which sent datetime_begin/_end, unknown parameters: 400).
    (r'\s*onchange="checkSpatialFilter\(\)"', ""),
    # Leaflet 1.9's hasLayer(undefined) throws (no rectangle until the spatial filter is ticked), and
    # without the Leaflet.draw plugin the rectangle is the map's current view, not an editable one.
    (r"if \(map\.hasLayer\(rectangle\)\)", "if (rectangle && map.hasLayer(rectangle))"),
    (r"rectangle\.editing\.enable\(\);", "if (rectangle.editing) { rectangle.editing.enable(); }"),
    (r'(<button type="submit" class="btn btn-primary") onclick="submitForm\(\);"', r'\1 id="search_submit"'),
    (r'(<button type="reset" class="btn btn-secondary") onclick="[^"]*"', r"\1"),
    (
        r"(\n([ \t]*)function submitForm\(\) \{)",
        r"\n\2[['spatial_filter_check', 'change', function () { checkSpatialFilter(); }],"
        r"\n\2 ['search_submit', 'click', function (event) { event.preventDefault(); submitForm(); }]]"
        r".forEach(function (h) {"
        r"\n\2  var element = document.getElementById(h[0]);"
        r"\n\2  if (element) { element.addEventListener(h[1], h[2]); }"
        r"\n\2});\1",
    ),
    # The limit selector keeps the page's other parameters (crs, bbox, filter, ...) and starts at the first page.
    (
        r"document\.location\.search = `limit=\$\{limit\}`;",
        "var search = new URLSearchParams(document.location.search);"
        " search.set('limit', limit); search.delete('offset');"
        " document.location.search = search.toString();",
    ),
    # Pages without a JSON-LD representation (our tiles pages: data.jsonld = false) neither link nor fetch one.
    (r"\{% if links_found\.jsonld == '' %\}", "{% if links_found.jsonld == '' and data.jsonld is not sameas false %}"),
    (r"\n(\s*)<script>(\s*// Requests and embeds JSON-LD)", r"\n\1{% if data.jsonld is not sameas false %}<script>\2"),
    (r"(xhr\.send\(\);\s*</script>)", r"\1{% endif %}"),
    # Our vector tiles (ogc/tiles) are Django views, not pygeoapi tile providers: the landing page always
    # links our /tileMatrixSets, a collection page its tiles when its provider says vector_tiles (ogc.config).
    (r"\{% if data\['tile'\] %\}", "{% if true %}"),
    (r"/TileMatrixSets\?f=html", "/tileMatrixSets?f=html"),
    (r"\{% if 'tile' in provider\['type'\] %\}", "{% if 'tile' in provider['type'] or provider.get('vector_tiles') %}"),
]
FILES = [
    "_base.html",
    "landing_page.html",
    "collections/collection.html",
    "collections/items/index.html",
    "collections/items/item.html",
]


def main() -> None:
    for name in FILES:
        text = (SOURCE / name).read_text(encoding="utf-8")
        for pattern, replacement in PATCHES:
            text = re.sub(pattern, replacement, text)
        target = TARGET / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
