/* Draw roadworks on a small Leaflet map; the result goes into the form's WKT field (EPSG:4326).

   The text field is the form's real input: it works without this script, by keyboard and for pasted WKT.
   The map adds points by click, or at the cross in its middle (the map pans with the arrow keys once it
   has focus), so drawing needs no mouse. Configured by data-* attributes of #draw-map; the city and the
   stored works come as JSON (json_script). Nothing from data is written as HTML. */
const map = document.getElementById("draw-map");
const tools = document.getElementById("draw-tools");

function json(id) {
  const node = document.getElementById(id);
  return node ? JSON.parse(node.textContent) : null;
}

function firstRing(geometry) {
  // The points to edit of a stored line or area: its first part (a multi-part work is shown, not edited).
  if (!geometry) return { mode: "line", points: [] };
  const c = geometry.coordinates;
  switch (geometry.type) {
    case "LineString": return { mode: "line", points: c };
    case "MultiLineString": return { mode: "line", points: c.length === 1 ? c[0] : [] };
    case "Polygon": return { mode: "area", points: c[0].slice(0, -1) };
    case "MultiPolygon": return { mode: "area", points: c.length === 1 ? c[0][0].slice(0, -1) : [] };
    default: return { mode: "line", points: [] };
  }
}

function wkt(mode, points) {
  const text = (list) => list.map(([lon, lat]) => `${lon.toFixed(6)} ${lat.toFixed(6)}`).join(", ");
  if (mode === "area" && points.length >= 3) return `POLYGON ((${text([...points, points[0]])}))`;
  if (mode === "line" && points.length >= 2) return `LINESTRING (${text(points)})`;
  return "";
}

if (map && tools && window.L) {
  tools.hidden = false;
  const target = document.getElementById(map.dataset.target);
  const crs = document.getElementById(map.dataset.crs);
  const status = document.getElementById(map.dataset.status);
  const city = json("draw-city");
  const existing = json("draw-existing");
  const view = L.map(map, { zoomSnap: 0.5, keyboard: true });
  L.control.scale().addTo(view);
  let cityLayer = null;
  if (city) {
    cityLayer = L.geoJSON(city, { style: { color: "#4a5360", weight: 2, fill: false }, interactive: false }).addTo(view);
  }
  if (existing) {
    const stored = L.geoJSON(existing, { style: { color: "#4a5360", weight: 3, dashArray: "4 4" }, interactive: false });
    stored.addTo(view);
    view.fitBounds(stored.getBounds(), { maxZoom: 17 });
  } else if (cityLayer) {
    view.fitBounds(cityLayer.getBounds());
  } else {
    view.setView([51.43, 6.88], 12);
  }
  const start = firstRing(existing);
  let mode = start.mode;
  let points = start.points.map(([lon, lat]) => [lon, lat]);
  const drawn = L.layerGroup().addTo(view);
  const radios = tools.querySelectorAll("input[name=draw-mode]");
  radios.forEach((radio) => { radio.checked = radio.value === mode; });

  function inside(lon, lat) {
    // Ray casting over the city's outer rings (the server checks precisely; this is a hint only).
    if (!city) return true;
    const polygons = city.type === "MultiPolygon" ? city.coordinates : [city.coordinates];
    return polygons.some((polygon) => {
      const ring = polygon[0];
      let hit = false;
      for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
        const [xi, yi] = ring[i];
        const [xj, yj] = ring[j];
        if ((yi > lat) !== (yj > lat) && lon < ((xj - xi) * (lat - yi)) / (yj - yi) + xi) hit = !hit;
      }
      return hit;
    });
  }

  function say(text) { status.textContent = text; }

  function redraw(write) {
    drawn.clearLayers();
    const latlngs = points.map(([lon, lat]) => [lat, lon]);
    const style = { color: "#b3261e", weight: 5 };
    if (mode === "area" && latlngs.length >= 3) L.polygon(latlngs, { ...style, fillOpacity: 0.2 }).addTo(drawn);
    else if (latlngs.length >= 2) L.polyline(latlngs, style).addTo(drawn);
    latlngs.forEach((latlng) => L.circleMarker(latlng, { radius: 5, color: "#b3261e", fillColor: "#fff", fillOpacity: 1, weight: 2 }).addTo(drawn));
    if (write) {
      target.value = wkt(mode, points);
      if (crs) crs.value = "EPSG:4326";
    }
  }

  function add(lon, lat) {
    points.push([lon, lat]);
    redraw(true);
    say(inside(lon, lat) ? map.dataset.msgPoints.replace("{count}", points.length) : map.dataset.msgOutside);
  }

  view.on("click", (event) => add(event.latlng.lng, event.latlng.lat));
  tools.addEventListener("click", (event) => {
    const action = event.target.closest("button[data-draw]")?.dataset.draw;
    if (action === "centre") {
      const centre = view.getCenter();
      add(centre.lng, centre.lat);
    } else if (action === "undo") {
      points.pop();
      redraw(true);
      say(map.dataset.msgPoints.replace("{count}", points.length));
    } else if (action === "clear") {
      points = [];
      redraw(true);
      say(map.dataset.msgCleared);
    }
  });
  radios.forEach((radio) => radio.addEventListener("change", () => {
    mode = radio.value;
    redraw(points.length > 0);
  }));
  redraw(false);
}
