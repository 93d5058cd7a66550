"""Admin base classes shared by the apps: a map widget on this site's own OpenLayers.

Django's OpenLayersWidget loads OpenLayers from a CDN and draws NASA or
OpenStreetMap tiles. Ours loads the vendored copy and draws only the
basemap configured in settings.BASEMAP_URL, or none. Everything runs from
static files, so the admin works under the Content-Security-Policy.
"""

from django.conf import settings
from django.contrib.gis import admin
from django.contrib.gis.forms.widgets import OpenLayersWidget

OL_DIR = "vendor/ol-10.9.0"
# Where an empty map opens: the centre of Mülheim an der Ruhr.
DEFAULT_LON, DEFAULT_LAT, DEFAULT_ZOOM = 6.8825, 51.4275, 12


class PortalMapWidget(OpenLayersWidget):
    """OpenLayersWidget with vendored OpenLayers and the site's basemap (or none)."""

    # The name under which static/geoportal/js/admin-map.js registers its layer builder.
    base_layer = "geoportalBasemap"

    class Media:
        # Replace, not extend, the parent's media: it names CDN URLs.
        extend = False
        css = {"all": (f"{OL_DIR}/ol.css", "gis/css/ol3.css", "geoportal/css/admin-map.css")}
        js = (f"{OL_DIR}/ol.js", "gis/js/OLMapWidget.js", "geoportal/js/admin-map.js")

    def __init__(self, attrs: dict | None = None) -> None:
        attrs = dict(attrs or {})
        attrs.setdefault("default_lon", DEFAULT_LON)
        attrs.setdefault("default_lat", DEFAULT_LAT)
        attrs.setdefault("default_zoom", DEFAULT_ZOOM)
        # These reach the page in the widget's JSON options, read by admin-map.js.
        attrs.setdefault("basemap_url", settings.BASEMAP_URL)
        attrs.setdefault("basemap_attribution", settings.BASEMAP_ATTRIBUTION)
        attrs.setdefault("basemap_max_zoom", settings.BASEMAP_MAX_ZOOM)
        super().__init__(attrs=attrs)


class PortalGISModelAdmin(admin.GISModelAdmin):
    """GISModelAdmin whose geometry fields use PortalMapWidget."""

    gis_widget = PortalMapWidget
