/* Base layer for the admin's map widgets (geoportal.admin.PortalMapWidget).
 *
 * Django's OLMapWidget.js looks up options.base_layer in
 * MapWidget.layerBuilder. This file registers "geoportalBasemap": the tiles
 * of settings.BASEMAP_URL when one is configured, else an empty layer, so
 * the admin never fetches tiles from a host the site did not choose.
 * Loaded after OLMapWidget.js and before DOMContentLoaded, when the widgets
 * are built.
 */
/* global ol, MapWidget */
"use strict";

(function () {
    function widgetOptions() {
        // Every map widget on a page carries the same basemap settings.
        const script = document.querySelector("script[id$='_mapwidget_options']");
        return script ? JSON.parse(script.textContent) : {};
    }

    MapWidget.layerBuilder.geoportalBasemap = function () {
        const options = widgetOptions();
        if (!options.basemap_url) {
            return new ol.layer.Vector({ source: new ol.source.Vector() });
        }
        return new ol.layer.Tile({
            source: new ol.source.XYZ({
                // Leaflet writes subdomains as {s}, OpenLayers as {a-c}.
                url: options.basemap_url.replace("{s}", "{a-c}"),
                attributions: options.basemap_attribution || undefined,
                maxZoom: options.basemap_max_zoom || 19,
            }),
        });
    };
})();
