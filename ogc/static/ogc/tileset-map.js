/*
 * The map of a vector tileset page (/ogc/collections/{id}/tiles/WebMercatorQuad?f=html): the collection's
 * Mapbox Vector Tiles drawn by MapLibre GL JS over the configured basemap (settings.BASEMAP_URL, or none).
 *
 * A module script without inline configuration (our CSP allows no inline script): everything comes from
 * the data-* attributes of the element marked data-tileset-map (ogc/tiles/html.py, map_attributes).
 * MapLibre is loaded from this site (static/vendor) and runs its worker from this site as a module
 * worker, so the page needs neither a CDN nor a blob: worker. Raster basemap tiles are loaded as
 * images (refreshExpiredTiles: false), so the basemap needs img-src only, not connect-src.
 */

const DATA_COLOUR = "#b3261e";
const POLYGON_COLOUR = "#1f5fa8";

function numbers(text) {
  return text.split(",").map(Number);
}

/* Leaflet-style basemap templates ({s} subdomains, {r} retina) as MapLibre tile URLs. */
function basemapTiles(template) {
  const plain = template.replace("{r}", "");
  return plain.includes("{s}") ? ["a", "b", "c"].map((s) => plain.replace("{s}", s)) : [plain];
}

function dataLayers(dimension, layer) {
  const base = { source: "tiles", "source-layer": layer };
  if (dimension === "0") {
    return [
      {
        ...base,
        id: "features-points",
        type: "circle",
        paint: {
          "circle-color": DATA_COLOUR,
          "circle-radius": ["interpolate", ["linear"], ["zoom"], 13, 2.5, 18, 7],
          "circle-stroke-color": "#ffffff",
          "circle-stroke-width": 1,
        },
      },
    ];
  }
  // Polygons (and lines): a feature's own "colour" property (rollout areas: the provider's) where it has one.
  const colour = ["to-color", ["get", "colour"], POLYGON_COLOUR];
  const outline = { ...base, id: "features-lines", type: "line", paint: { "line-color": colour, "line-width": 2 } };
  if (dimension === "1") {
    return [outline];
  }
  return [{ ...base, id: "features-fill", type: "fill", paint: { "fill-color": colour, "fill-opacity": 0.35 } }, outline];
}

function style(d) {
  const sources = {
    tiles: {
      type: "vector",
      tiles: [d.tiles],
      minzoom: Number(d.minZoom),
      maxzoom: Number(d.maxZoom),
      bounds: numbers(d.bounds),
      attribution: d.attribution,
    },
  };
  const layers = [{ id: "background", type: "background", paint: { "background-color": "#f2efe9" } }];
  if (d.basemap) {
    sources.basemap = {
      type: "raster",
      tiles: basemapTiles(d.basemap),
      tileSize: 256,
      maxzoom: Number(d.basemapMaxZoom),
      attribution: d.basemapAttribution,
    };
    layers.push({ id: "basemap", type: "raster", source: "basemap" });
  }
  return { version: 8, sources, layers: layers.concat(dataLayers(d.dimension, d.layer)) };
}

/* The clicked feature's attributes as a small table, built as DOM nodes (never HTML from the data). */
function attributeTable(properties) {
  const table = document.createElement("table");
  table.className = "tileset-map-attributes";
  for (const [name, value] of Object.entries(properties)) {
    const row = table.insertRow();
    const key = document.createElement("th");
    key.scope = "row";
    key.textContent = name;
    row.appendChild(key);
    row.insertCell().textContent = String(value);
  }
  return table;
}

async function tilesetMap(element) {
  const d = element.dataset;
  const status = document.getElementById(element.getAttribute("aria-describedby"));
  const maplibregl = await import(d.library);
  maplibregl.setWorkerUrl(d.worker);
  const map = new maplibregl.Map({
    container: element,
    style: style(d),
    center: numbers(d.center),
    zoom: Number(d.zoom),
    maxZoom: Math.max(Number(d.maxZoom), Number(d.basemapMaxZoom)),
    refreshExpiredTiles: false,
    attributionControl: { compact: false },
  });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }));
  map.addControl(new maplibregl.ScaleControl());
  const layerIds = dataLayers(d.dimension, d.layer).map((layer) => layer.id);

  // Says in words what the map shows: a feature count, or that the tiles start at a closer zoom.
  map.on("idle", () => {
    if (map.getZoom() < Number(d.minZoom)) {
      status.textContent = d.textZoomIn;
      element.dataset.renderedFeatures = "0";
      return;
    }
    const ids = new Set(map.queryRenderedFeatures({ layers: layerIds }).map((f) => f.id ?? f.properties.id));
    status.textContent = d.textFeatures.replace("{count}", ids.size.toLocaleString(document.documentElement.lang));
    element.dataset.renderedFeatures = String(ids.size);
  });
  map.on("click", (event) => {
    const [feature] = map.queryRenderedFeatures(event.point, { layers: layerIds });
    if (feature) {
      // The tiles carry the feature id as the MVT feature id, not as a property.
      const properties = { id: feature.id, ...feature.properties };
      new maplibregl.Popup().setLngLat(event.lngLat).setDOMContent(attributeTable(properties)).addTo(map);
    }
  });
  for (const id of layerIds) {
    map.on("mouseenter", id, () => (map.getCanvas().style.cursor = "pointer"));
    map.on("mouseleave", id, () => (map.getCanvas().style.cursor = ""));
  }
}

for (const element of document.querySelectorAll("[data-tileset-map]")) {
  tilesetMap(element).catch((error) => {
    const status = document.getElementById(element.getAttribute("aria-describedby"));
    status.textContent = element.dataset.textFailed;
    console.error(error);
  });
}
