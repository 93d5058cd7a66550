/*
 * The residents' map (residents/maps.py, residents/_portal_map.html): MapLibre GL JS over this site's own
 * vector tiles (OGC API – Tiles): streets, water, districts and the city boundary as the context, each
 * address coloured by its best published rollout stage, the providers' rollout areas, a layer per provider.
 *
 * A module script configured by the data-* attributes of the element marked data-portal-map (no inline
 * script under our CSP). MapLibre comes from this site and runs its worker from this site as a module
 * worker; street names are drawn with this site's Noto Sans through MapLibre's font-faces (glyphs made in
 * the browser), so the map asks no other host for anything, except the basemap when BASEMAP_URL is set
 * (loaded as images, refreshExpiredTiles: false, as on the tileset pages).
 *
 * Text from the data (names, streets) only ever reaches the page as textContent, never as HTML.
 */

const SCHOOL_COLOUR = "#1a1a1a";
const STREET_COLOUR = "#8a8a8a";
const WATER_COLOUR = "#9cc3e6";
const BOUNDARY_COLOUR = "#1a3d6d";
const DISTRICT_COLOUR = "#5a5a8c";
// Unicode ranges of the two font files (those of @fontsource/noto-sans, static/vendor/README.md).
const LATIN = ["U+0000-00FF", "U+0131", "U+0152-0153", "U+02BB-02BC", "U+02C6", "U+02DA", "U+02DC", "U+0304",
  "U+0308", "U+0329", "U+2000-206F", "U+20AC", "U+2122", "U+2191", "U+2193", "U+2212", "U+2215", "U+FEFF", "U+FFFD"];
const LATIN_EXT = ["U+0100-02BA", "U+02BD-02C5", "U+02C7-02CC", "U+02CE-02D7", "U+02DD-02FF", "U+1D00-1DBF",
  "U+1E00-1E9F", "U+1EF2-1EFF", "U+2020", "U+20A0-20AB", "U+20AD-20C0", "U+2113", "U+2C60-2C7F", "U+A720-A7FF"];
const FONT = "Noto Sans Regular";

function numbers(text) {
  return text ? text.split(",").map(Number) : null;
}

/* Leaflet-style basemap templates ({s} subdomains, {r} retina) as MapLibre tile URLs. */
function basemapTiles(template) {
  const plain = template.replace("{r}", "");
  return plain.includes("{s}") ? ["a", "b", "c"].map((s) => plain.replace("{s}", s)) : [plain];
}

/* A same-origin URL of a path; not new URL(), which would escape a template's {z}/{x}/{y}. */
function absolute(path) {
  return path.startsWith("/") ? window.location.origin + path : path;
}

function stageColour(stages) {
  const match = ["match", ["get", "stage"]];
  for (const stage of stages) {
    match.push(stage.code, stage.colour);
  }
  match.push("#595959");
  return match;
}

/* The style's layers, grouped by what the switches turn on and off. */
function layerGroups(d, stages, providers, wanted) {
  const basemap = Boolean(d.basemap);
  const groups = { context: [], areas: [], districts: [], providers: {}, status: [], schools: [] };
  if (d.waterTiles) {
    const water = { source: "water", "source-layer": "water" };
    groups.context.push(
      { ...water, id: "water-area", type: "fill", filter: ["==", ["geometry-type"], "Polygon"],
        paint: { "fill-color": WATER_COLOUR, "fill-opacity": basemap ? 0.5 : 1 } },
      { ...water, id: "water-line", type: "line", filter: ["==", ["geometry-type"], "LineString"],
        paint: { "line-color": WATER_COLOUR, "line-width": ["interpolate", ["linear"], ["zoom"], 10, 2, 16, 8] } },
    );
  }
  if (wanted.has("areas")) {
    const areas = { source: "areas", "source-layer": "rollout-areas" };
    groups.areas.push(
      { ...areas, id: "areas-fill", type: "fill",
        paint: { "fill-color": stageColour(stages), "fill-opacity": ["interpolate", ["linear"], ["zoom"], 11, 0.3, 15, 0.12] } },
      { ...areas, id: "areas-line", type: "line", paint: { "line-color": stageColour(stages), "line-width": 1.5 } },
    );
  }
  const streets = { source: "streets", "source-layer": "streets" };
  groups.context.push(
    { ...streets, id: "streets-casing", type: "line", layout: { "line-cap": "round", "line-join": "round" },
      paint: { "line-color": "#ffffff", "line-opacity": basemap ? 0.4 : 1,
        "line-width": ["interpolate", ["exponential", 1.6], ["zoom"], 10, 1.5, 14, 5, 18, 24] } },
    { ...streets, id: "streets-line", type: "line", layout: { "line-cap": "round", "line-join": "round" },
      paint: { "line-color": STREET_COLOUR, "line-opacity": basemap ? 0.5 : 1,
        "line-width": ["interpolate", ["exponential", 1.6], ["zoom"], 10, 0.5, 14, 1.5, 18, 6] } },
    { ...streets, id: "streets-label", type: "symbol", minzoom: 15,
      layout: { "symbol-placement": "line", "text-field": ["get", "name"], "text-font": [FONT], "text-size": 12,
        "text-max-angle": 30 },
      paint: { "text-color": "#333333", "text-halo-color": "#ffffff", "text-halo-width": 1.5 } },
  );
  if (wanted.has("districts")) {
    groups.districts.push(
      { id: "quarters", type: "line", source: "districts", filter: ["==", ["get", "level"], "stadtteil"],
        paint: { "line-color": DISTRICT_COLOUR, "line-width": 1, "line-dasharray": [3, 3] } },
      { id: "boroughs", type: "line", source: "districts", filter: ["==", ["get", "level"], "stadtbezirk"],
        paint: { "line-color": DISTRICT_COLOUR, "line-width": 2, "line-dasharray": [4, 2] } },
    );
  }
  groups.context.push({ id: "boundary", type: "line", source: "districts", filter: ["==", ["get", "level"], "city"],
    paint: { "line-color": BOUNDARY_COLOUR, "line-width": 3 } });
  if (wanted.has("providers")) {
    for (const provider of providers) {
      const mine = ["==", ["get", "provider"], provider.slug];
      groups.providers[provider.slug] = [
        { id: `provider-${provider.slug}-areas`, type: "line", source: "areas", "source-layer": "rollout-areas",
          filter: mine, layout: { visibility: "none" },
          paint: { "line-color": provider.colour, "line-width": 3 } },
        { id: `provider-${provider.slug}-points`, type: "circle", source: "availability", "source-layer": "availability",
          filter: mine, layout: { visibility: "none" },
          paint: { "circle-color": provider.colour, "circle-radius": ["interpolate", ["linear"], ["zoom"], 13, 4, 18, 10],
            "circle-stroke-color": "#1a1a1a", "circle-stroke-width": 1.5 } },
      ];
    }
  }
  if (wanted.has("status")) {
    const status = { source: "status", "source-layer": "address-status" };
    groups.status.push(
      { ...status, id: "status-points", type: "circle",
        paint: { "circle-color": stageColour(stages), "circle-radius": ["interpolate", ["linear"], ["zoom"], 13, 2.5, 16, 5, 18, 8],
          "circle-stroke-color": "#ffffff", "circle-stroke-width": ["interpolate", ["linear"], ["zoom"], 13, 0.5, 16, 1.5] } },
    );
    if (d.highlight) {
      groups.status.push({ ...status, id: "status-highlight", type: "circle", filter: ["==", ["id"], Number(d.highlight)],
        paint: { "circle-color": "rgba(0,0,0,0)", "circle-radius": 14, "circle-stroke-color": "#1a1a1a", "circle-stroke-width": 3 } });
    }
  }
  if (wanted.has("schools")) {
    groups.schools.push({ id: "schools", type: "circle", source: "schools",
      paint: { "circle-color": "#ffffff", "circle-radius": 6, "circle-stroke-color": SCHOOL_COLOUR, "circle-stroke-width": 3 } });
  }
  return groups;
}

function style(d, groups, wanted) {
  const vector = (tiles, minzoom = 10) => ({ type: "vector", tiles: [absolute(tiles)], minzoom, maxzoom: 18,
    bounds: numbers(d.bounds) });
  const sources = {
    streets: vector(d.streetsTiles),
    districts: { type: "geojson", data: absolute(d.districtsUrl) },
  };
  if (d.waterTiles) sources.water = vector(d.waterTiles);
  if (wanted.has("areas") || wanted.has("providers")) sources.areas = vector(d.areasTiles);
  if (wanted.has("status")) sources.status = vector(d.statusTiles, Number(d.statusMinZoom));
  if (wanted.has("providers")) sources.availability = vector(d.availabilityTiles, Number(d.statusMinZoom));
  if (wanted.has("schools")) sources.schools = { type: "geojson", data: absolute(d.schoolsUrl) };
  const layers = [{ id: "background", type: "background", paint: { "background-color": d.background } }];
  if (d.basemap) {
    sources.basemap = { type: "raster", tiles: basemapTiles(d.basemap), tileSize: 256, maxzoom: Number(d.basemapMaxZoom) };
    layers.push({ id: "basemap", type: "raster", source: "basemap", paint: { "raster-opacity": 0.75 } });
  }
  const water = groups.context.filter((l) => l.id.startsWith("water"));
  const rest = groups.context.filter((l) => !l.id.startsWith("water"));
  layers.push(...water, ...groups.areas, ...rest, ...groups.districts, ...Object.values(groups.providers).flat(),
    ...groups.status, ...groups.schools);
  return {
    version: 8,
    sources,
    layers,
    "font-faces": {
      [FONT]: [{ url: absolute(d.fontLatin), "unicode-range": LATIN }, { url: absolute(d.fontLatinExt), "unicode-range": LATIN_EXT }],
    },
  };
}

function paragraph(text, className) {
  const p = document.createElement("p");
  p.textContent = text;
  if (className) p.className = className;
  return p;
}

/* The popup of an address: its label, its best stage in words, providers, bandwidth, a link to its page. */
function addressPopup(d, stages, feature) {
  const props = feature.properties;
  const box = document.createElement("div");
  box.className = "portal-map-popup";
  const label = `${props.street ?? ""} ${props.house_number ?? ""}${props.house_number_suffix ?? ""}`.trim();
  const title = document.createElement("strong");
  title.textContent = props.postcode ? `${label}, ${props.postcode}` : label;
  box.appendChild(title);
  const stage = stages.find((s) => s.code === props.stage);
  box.appendChild(paragraph(stage ? stage.label : String(props.stage ?? ""), "portal-map-popup-stage"));
  if (props.providers !== undefined) {
    box.appendChild(paragraph(d.textProviders.replace("{count}", String(props.providers))));
  }
  if (props.max_down_mbits) {
    box.appendChild(paragraph(d.textDownload.replace("{mbits}", Number(props.max_down_mbits).toLocaleString(document.documentElement.lang))));
  }
  const id = feature.id ?? props.address_id;
  if (id !== undefined) {
    const link = document.createElement("a");
    link.href = d.addressUrl.replace("{id}", String(id));
    link.textContent = d.textDetails;
    box.appendChild(link);
  }
  return box;
}

function schoolPopup(d, feature) {
  const box = document.createElement("div");
  box.className = "portal-map-popup";
  const title = document.createElement("strong");
  title.textContent = String(feature.properties.name ?? "");
  box.appendChild(title);
  box.appendChild(paragraph(`${d.textSchool}: ${feature.properties.school_type ?? ""}`));
  return box;
}

function setVisible(map, ids, visible) {
  for (const id of ids) {
    if (map.getLayer(id)) map.setLayoutProperty(id, "visibility", visible ? "visible" : "none");
  }
}

async function portalMap(element) {
  const d = element.dataset;
  const wanted = new Set(d.layers.split(","));
  const stages = JSON.parse(d.stages || "[]");
  const providers = JSON.parse(d.providers || "[]");
  const status = document.getElementById(`${element.id}-status`);
  const maplibregl = await import(d.library);
  maplibregl.setWorkerUrl(d.worker);
  const groups = layerGroups(d, stages, providers, wanted);
  const narrow = window.matchMedia("(max-width: 40rem)").matches;
  const centre = numbers(d.center);
  const map = new maplibregl.Map({
    container: element,
    style: style(d, groups, wanted),
    ...(centre ? { center: centre, zoom: Number(d.zoom) } : { bounds: numbers(d.bounds), fitBoundsOptions: { padding: 8 } }),
    maxZoom: 19,
    refreshExpiredTiles: false,
    cooperativeGestures: window.matchMedia("(pointer: coarse)").matches,
    locale: JSON.parse(d.locale || "{}"),
    // Compact: an "i" button that opens the credits (open at first on wide screens, closed on phones).
    attributionControl: { compact: true, customAttribution: [d.attribution, d.basemapAttribution].filter(Boolean) },
  });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }));
  map.addControl(new maplibregl.ScaleControl());
  if (narrow) {
    // MapLibre opens a compact attribution at first; on a phone it would cover the map's lower part.
    map.once("load", () => element.querySelector(".maplibregl-ctrl-attrib")?.classList.remove("maplibregl-compact-show"));
  }

  const clickable = ["status-points", ...Object.values(groups.providers).map((layers) => layers[1].id), "schools"];
  map.on("click", (event) => {
    const present = clickable.filter((id) => map.getLayer(id) && map.getLayoutProperty(id, "visibility") !== "none");
    const features = map.queryRenderedFeatures(event.point, { layers: present });
    const feature = features.find((f) => f.layer.id === "schools") ?? features.find((f) => f.layer.id === "status-points")
      ?? features[0];
    if (!feature) return;
    const content = feature.layer.id === "schools" ? schoolPopup(d, feature) : addressPopup(d, stages, feature);
    new maplibregl.Popup({ maxWidth: "18rem" }).setLngLat(event.lngLat).setDOMContent(content).addTo(map);
  });
  for (const id of clickable) {
    map.on("mouseenter", id, () => (map.getCanvas().style.cursor = "pointer"));
    map.on("mouseleave", id, () => (map.getCanvas().style.cursor = ""));
  }

  // The switches: a group of layers each, and one per provider (its areas and points in its colour).
  const switches = document.getElementById(`${element.id}-layers`);
  if (switches) switches.hidden = false;
  for (const input of document.querySelectorAll(`#${element.id}-layers [data-layer-toggle]`)) {
    input.addEventListener("change", () => setVisible(map, groups[input.dataset.layerToggle].map((l) => l.id), input.checked));
  }
  for (const input of (element.closest(".portal-map") ?? document).querySelectorAll("[data-provider-toggle]")) {
    input.disabled = false;
    input.addEventListener("change", () => {
      setVisible(map, (groups.providers[input.dataset.providerToggle] ?? []).map((l) => l.id), input.checked);
    });
  }

  // Says in words what the map view shows (and tells the tests the map has drawn).
  map.on("idle", () => {
    const minZoom = Number(d.statusMinZoom);
    if (wanted.has("status") && map.getZoom() < minZoom) {
      status.textContent = d.textZoomIn;
      element.dataset.renderedAddresses = "0";
    } else if (wanted.has("status")) {
      const ids = new Set(map.queryRenderedFeatures({ layers: ["status-points"] }).map((f) => f.id));
      status.textContent = d.textFeatures.replace("{count}", ids.size.toLocaleString(document.documentElement.lang));
      element.dataset.renderedAddresses = String(ids.size);
    }
    element.dataset.ready = "true";
  });
  element.portalMap = map;  // for the browser tests and for pages that move the map (the address page)
}

for (const element of document.querySelectorAll("[data-portal-map]")) {
  portalMap(element).catch((error) => {
    const status = document.getElementById(`${element.id}-status`);
    if (status) status.textContent = element.dataset.textFailed;
    element.dataset.failed = "true";
    console.error(error);
  });
}
