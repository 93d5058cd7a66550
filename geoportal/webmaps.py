"""folium maps that load only this site's own Leaflet and embed inline under the CSP.

folium's defaults pull Leaflet, jQuery, Bootstrap and Font Awesome from
CDNs and render a whole HTML document meant for an iframe. Here a map loads
nothing but the vendored Leaflet, draws no tiles unless a basemap is
configured, and is split into the pieces a Django template places in its
page, each <script> and <style> carrying the request's CSP nonce.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import folium
from branca.element import MacroElement
from django.conf import settings
from django.templatetags.static import static
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from folium.template import Template

LEAFLET_DIR = "vendor/leaflet-1.9.4"


class PortalMap(folium.Map):
    """A folium.Map without CDN assets, global page styles or a default tile layer.

    folium's own header also sets ``html, body {height: 100%; margin: 0}``
    and ``#map {position: absolute}`` for a page of its own; inside our
    page that would break the layout, so the header keeps only the map's size.
    """

    _template = Template(
        """
        {% macro header(this, kwargs) %}
            <style>
                #{{ this.get_name() }} {
                    position: {{ this.position }};
                    width: {{ this.width[0] }}{{ this.width[1] }};
                    height: {{ this.height[0] }}{{ this.height[1] }};
                }
            </style>
        {% endmacro %}
        {% macro html(this, kwargs) %}
            <div class="folium-map" id={{ this.get_name()|tojson }}></div>
        {% endmacro %}
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.map(
                {{ this.get_name()|tojson }},
                {center: {{ this.location|tojson }}, crs: L.CRS.{{ this.crs }}, ...{{ this.options|tojavascript }}}
            );
            {%- if this.control_scale %}
            L.control.scale().addTo({{ this.get_name() }});
            {%- endif %}
        {% endmacro %}
        """
    )

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("tiles", None)
        super().__init__(**kwargs)
        # Instance attributes, resolved per map: static() needs the manifest
        # in production, which does not exist yet at import time.
        self.default_js = [("leaflet", static(f"{LEAFLET_DIR}/leaflet.js"))]
        self.default_css = [("leaflet_css", static(f"{LEAFLET_DIR}/leaflet.css"))]


class Attribution(MacroElement):
    """Adds a (plain text) attribution to the map's attribution control."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            {{ this._parent.get_name() }}.attributionControl.addAttribution({{ this.html|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, text: str) -> None:
        super().__init__()
        self._name = "Attribution"
        # Leaflet inserts attributions as HTML: escape the catalogue's text.
        self.html = str(escape(text))


def basemap_add(fmap: folium.Map) -> None:
    """Add the configured basemap (settings.BASEMAP_URL) as tile layer; without one, none."""
    if not settings.BASEMAP_URL:
        return
    folium.TileLayer(
        tiles=settings.BASEMAP_URL,
        attr=str(escape(settings.BASEMAP_ATTRIBUTION)) or " ",
        max_zoom=settings.BASEMAP_MAX_ZOOM,
        name="basemap",
    ).add_to(fmap)


@dataclass(frozen=True)
class EmbeddedMap:
    """The parts of a rendered map: ``head`` for <head>, ``body`` where the map goes, ``script`` after it."""

    head: SafeString
    body: SafeString
    script: SafeString


_OPENING_TAG = re.compile(r"<(script|style)\b(?![^>]*\bnonce=)")


def _with_nonce(html: str, nonce: str) -> str:
    return _OPENING_TAG.sub(lambda m: f'<{m.group(1)} nonce="{escape(nonce)}"', html)


def map_embed(fmap: folium.Map, *, nonce: str) -> EmbeddedMap:
    """Render ``fmap`` into inline parts whose <script>/<style> tags all carry ``nonce``."""
    figure = fmap.get_root()
    # The content-type <meta> belongs to a document of its own, not to ours.
    figure.header._children.pop("meta_http", None)
    figure.render()
    head = figure.header.render()
    body = figure.html.render()
    script = f"<script>{figure.script.render()}</script>"
    # The strings come from folium's templates with escaped data (tojson).
    return EmbeddedMap(
        head=mark_safe(_with_nonce(head, nonce)),  # noqa: S308
        body=mark_safe(_with_nonce(body, nonce)),  # noqa: S308
        script=mark_safe(_with_nonce(script, nonce)),  # noqa: S308
    )
