"""Regenerate ogc/templates/pygeoapi/ from the installed pygeoapi's templates.

pygeoapi's HTML templates load Leaflet, its plugins and Bootstrap from CDNs;
our pages load nothing from other hosts (CSP). This copies the few templates
that do and points them at the vendored Leaflet (/static/vendor/leaflet-1.9.4/),
dropping the plugins we do not ship. Run after upgrading pygeoapi:
    .venv/bin/python scripts/ogc_templates.py

It also brings the catalogues of the templates' texts and of the link titles pygeoapi's API functions
translate (locale/*/LC_MESSAGES/messages.po, see ogc/translations.py) up to date: new texts are added
untranslated (tests/ogc/test_translations.py fails until they are translated), texts no longer used are dropped.
"""

import re
import sys
from pathlib import Path

import pygeoapi
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po, write_po

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from ogc.translations import DOMAIN, LOCALE_DIR, api_texts, templates_translated  # noqa: E402 - needs the repository on the path

SOURCE = Path(pygeoapi.__file__).parent / "templates"
TARGET = REPO / "ogc" / "templates" / "pygeoapi"
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
    # Our languages (de, en) are written left to right; pygeoapi takes the direction from a catalogue entry.
    (r'dir="\{% trans %\}text_direction\{% endtrans %\}"', 'dir="ltr"'),
    (r"\{\{ config\['server'\]\['language'\] \}\}", "{{ (locale|lower)[:2] }}"),
]
# Patches of one file each; each must match (a pygeoapi upgrade that changes the original fails loudly here).
FILE_PATCHES: dict[str, list[tuple[str, str]]] = {
    # The header's contact link: mailto only with an address (OGC_CONTACT_EMAIL), else the contact page, else none.
    "_base.html": [
        (
            r"(\s*)<li class=\"nav-item\">\s*<a href=\"mailto:\{\{ config\['metadata'\]\['contact'\]\['email'\] \}\}\""
            r"[^>]*>(\{% trans %\}Contact\{% endtrans ?%\})</a>\s*</li>",
            r"\1{% if config['metadata']['contact']['email'] %}"
            r"""\1<li class="nav-item"><a class="nav-link" """
            r"""href="mailto:{{ config['metadata']['contact']['email'] }}">\2</a></li>"""
            r"\1{% elif config['metadata']['contact']['url'] %}"
            r"""\1<li class="nav-item"><a class="nav-link" """
            r"""href="{{ config['metadata']['contact']['url'] }}">\2</a></li>"""
            r"\1{% endif %}",
        ),
    ],
    # The contact card: no empty <a href="mailto:"> (axe link-name) when there is no address.
    "landing_page.html": [
        (
            r"(\s*)(<b>\{% trans %\}Email\{% endtrans %\}</b><br/>\s*<span><a href=\"mailto:[^\n]*</a></span><br/>)",
            r"\1{% if config['metadata']['contact']['email'] %}\1\2\1{% endif %}",
        ),
    ],
    "collections/collection.html": [
        # The licence link's "<a>" where "</a>" was meant opened links that swallowed the next lists (axe list).
        (r"(\{\{ link\['title'\] or link\['href'\] \}\})<a>", r"\1</a>"),
        # The epoch is no link, and "not specified" is a translated text, not the literal "_(not specified)".
        (
            r"<a><span>\{\{ data\['storageCrsCoordinateEpoch'\] or '_\(not specified\)' \}\}</span></a>",
            "<span>{{ data['storageCrsCoordinateEpoch'] or _('not specified') }}</span>",
        ),
    ],
    "collections/items/index.html": [
        # pygeoapi gives the items document no title: the page's <title> rendered empty (axe document-title).
        (
            r"\{% block title %\}\{\{ super\(\) \}\} \{\{ data\['title'\] \}\} \{% endblock %\}",
            "{% block title %}{% for l in data['links'] if l.rel == 'collection' %}{{ l['title'] }} – {% endfor %}"
            "{% trans %}Items{% endtrans %}{% endblock %}",
        ),
        # The page-size selector gets its label (axe select-name).
        (
            r"\{% trans %\}Limit\{% endtrans %\}:(\s*)<select id=\"limits\">",
            r'<label for="limits">{% trans %}Limit{% endtrans %}:</label>\1<select id="limits">',
        ),
        # Its sizes in the reader's number format ("1.000" on German pages), and none above the server's maximum:
        # ogc.views._items_page gives them as data['limit_options'] (value, label).
        (
            r'(\s*)<option value="100">100</option>\s*<option value="1000">1,000</option>\s*'
            r'<option value="2000">2,000</option>',
            r"\1{% for value, label in data['limit_options'] %}"
            r'\1<option value="{{ value }}">{{ label }}</option>'
            r"\1{% endfor %}",
        ),
        # The records search form's texts are English literals in pygeoapi: make them translatable.
        (r'(<label for="q">)Search(</label>)', r"\1{% trans %}Search{% endtrans %}\2"),
        (r'placeholder="Search"', 'placeholder="{% trans %}Search{% endtrans %}"'),
        (r'(<label for="datetime_begin">)Start date(</label>)', r"\1{% trans %}Start date{% endtrans %}\2"),
        (r'(<label for="datetime_end">)End date(</label>)', r"\1{% trans %}End date{% endtrans %}\2"),
        (r'(for="spatial_filter_check">)Spatial filter(</label>)', r"\1{% trans %}Spatial filter{% endtrans %}\2"),
        (r'(id="search_submit">)Search(</button>)', r"\1{% trans %}Search{% endtrans %}\2"),
        (r'(<button type="reset" class="btn btn-secondary">)Reset(</button>)', r"\1{% trans %}Reset{% endtrans %}\2"),
    ],
}
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
        for pattern, replacement in FILE_PATCHES.get(name, []):
            text, count = re.subn(pattern, replacement, text)
            if not count:
                raise SystemExit(f"{name}: the patch {pattern!r} matches nothing; pygeoapi's template has changed")
        target = TARGET / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    catalogues_update()


def catalogue_messages() -> Catalog:
    """Every text the translated templates mark ({% trans %}, _()) and every link title pygeoapi's API functions
    translate (ogc.translations.api_texts), with where it occurs."""
    messages = Catalog(domain=DOMAIN, project="Glasfaserportal")
    for path in templates_translated():
        where = path.relative_to(REPO if path.is_relative_to(REPO) else SOURCE.parent.parent)
        found = extract_from_file("jinja2.ext:babel_extract", str(path), options={"extensions": "jinja2.ext.i18n"})
        for lineno, message, _comments, _context in found:
            messages.add(message, locations=[(where.as_posix(), lineno)])
    for message, (where, lineno) in api_texts().items():
        if message in messages:
            messages[message].locations.append((where, lineno))
        else:
            messages.add(message, locations=[(where, lineno)])
    return messages


def catalogues_update() -> None:
    messages = catalogue_messages()
    for po in sorted(LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        with po.open("rb") as handle:
            catalogue = read_po(handle, domain=DOMAIN)
        messages.creation_date = catalogue.creation_date  # no new header unless a text changed
        catalogue.update(messages, no_fuzzy_matching=True)
        catalogue.obsolete.clear()
        with po.open("wb") as handle:
            write_po(handle, catalogue, width=120, sort_output=True)


if __name__ == "__main__":
    main()
