// The school map and its time player (schools/templates/schools/map.html).
//
// Leaflet is the vendored classic script (global L), loaded before this module. Configured by data-* attributes
// and JSON script elements of the page, no inline script (CSP). Every school's changes of status are fetched
// once from /schulen/verlauf.json; moving the range input redraws all markers, the table under the map and
// the counts for that day, without another request. Text from the data is set with textContent only.

const mapElement = document.getElementById("school-map");
const player = document.querySelector(".time-player");
const slider = document.getElementById("school-day");
const output = document.getElementById("school-day-output");
const counts = document.getElementById("school-day-counts");
const playButton = document.getElementById("school-play");
const caption = document.getElementById("status-caption");
const json = (id) => JSON.parse(document.getElementById(id).textContent);

const statusLabels = Object.fromEntries(json("school-statuses").map((s) => [s.value, s.label]));
const labels = json("school-labels");
const boundaryText = json("school-boundary");
const language = document.documentElement.lang || "de";
const dateFormat = new Intl.DateTimeFormat(language, { dateStyle: "long", timeZone: "UTC" });
const DAY_MS = 86400000;
const MONTH_DAYS = 30;

// Colour and line both tell the status apart (the legend of the page uses the same).
const STYLES = {
  connected: { color: "#1a7f37", fillColor: "#1a7f37", fillOpacity: 1, weight: 2, radius: 8 },
  under_construction: { color: "#8a5a00", fillColor: "#e0a526", fillOpacity: 1, weight: 2, dashArray: "3 2", radius: 8 },
  planned: { color: "#0b4f9c", fillColor: "#ffffff", fillOpacity: 1, weight: 3, radius: 7 },
  not_connected: { color: "#b3261e", fillColor: "#b3261e", fillOpacity: 1, weight: 2, radius: 7 },
  none: { color: "#4a5360", fillColor: "#ffffff", fillOpacity: 1, weight: 2, dashArray: "2 2", radius: 6 },
};

function escapeHtml(text) {
  const span = document.createElement("span");
  span.textContent = text;
  return span.innerHTML;
}

function isoDay(ms) {
  return new Date(ms).toISOString().slice(0, 10);
}

function dayMs(iso) {
  const [y, m, d] = iso.split("-").map(Number);
  return Date.UTC(y, m - 1, d);
}

function statusOn(school, iso) {
  let status = "";
  for (const [day, value] of school.changes) {
    if (day > iso) break;
    status = value;
  }
  return status;
}

function format(template, values) {
  return template.replace(/%\((\w+)\)s/g, (_m, key) => String(values[key] ?? ""));
}

function badge(status) {
  const span = document.createElement("span");
  span.className = `school-status school-status-${status || "none"}`;
  span.textContent = statusLabels[status] || labels.none;
  return span;
}

function popupContent(school, status) {
  const box = document.createElement("div");
  const link = document.createElement("a");
  link.href = school.url;
  link.textContent = school.name;
  const type = document.createElement("p");
  type.textContent = school.type;
  const state = document.createElement("p");
  state.append(badge(status));
  box.append(link, type, state);
  return box;
}

// A first view before any layer is added (Leaflet draws paths only on a map with a view); fitted below.
const map = L.map(mapElement, { zoomSnap: 0.5 }).setView([51.4275, 6.8825], 12);
if (mapElement.dataset.basemap) {
  L.tileLayer(mapElement.dataset.basemap, {
    maxZoom: Number(mapElement.dataset.basemapMaxZoom) || 19,
    attribution: escapeHtml(mapElement.dataset.basemapAttribution || " "),
  }).addTo(map);
}
if (mapElement.dataset.attribution) {
  map.attributionControl.addAttribution(escapeHtml(mapElement.dataset.attribution));
}
let bounds = null;
if (boundaryText) {
  const boundary = L.geoJSON(JSON.parse(boundaryText), {
    style: { color: "#1a3d6d", weight: 3, fill: false },
    interactive: false,
  }).addTo(map);
  bounds = boundary.getBounds();
}

async function start() {
  const response = await fetch(mapElement.dataset.timeline, { headers: { Accept: "application/json" } });
  if (!response.ok) throw new Error(`timeline: HTTP ${response.status}`);
  const data = await response.json();
  const todayMs = dayMs(data.today);
  const firstMs = data.first ? Math.min(dayMs(data.first), todayMs) : todayMs;
  const lastIndex = Math.round((todayMs - firstMs) / DAY_MS);
  const rows = new Map([...document.querySelectorAll("#school-status-table tbody tr")].map((r) => [r.dataset.school, r]));
  const markers = data.schools.map((school) => {
    const marker = L.circleMarker([school.lat, school.lon], STYLES.none).addTo(map);
    marker.bindPopup(() => popupContent(school, marker.status));
    marker.bindTooltip(school.name);
    return { school, marker };
  });
  if (!bounds && markers.length) bounds = L.latLngBounds(markers.map((m) => m.marker.getLatLng()));
  if (bounds) map.fitBounds(bounds, { padding: [10, 10] });

  let countTimer = null;
  function draw(index) {
    const iso = isoDay(firstMs + index * DAY_MS);
    const shown = dateFormat.format(new Date(dayMs(iso)));
    output.textContent = shown;
    slider.setAttribute("aria-valuetext", shown);
    caption.textContent = format(labels.status, { date: shown });
    const tally = { connected: 0, under_construction: 0, planned: 0, not_connected: 0, none: 0 };
    for (const item of markers) {
      const status = statusOn(item.school, iso);
      tally[status || "none"] += 1;
      if (item.marker.status !== status) {
        item.marker.status = status;
        item.marker.setStyle(STYLES[status || "none"]);
        if (status) item.marker.bringToFront();
        const cell = rows.get(item.school.number)?.querySelector(".status-cell");
        if (cell) cell.replaceChildren(badge(status));
        if (item.marker.isPopupOpen()) item.marker.setPopupContent(popupContent(item.school, status));
      }
    }
    // Announced once the slider rests, not for every step it passes.
    clearTimeout(countTimer);
    countTimer = setTimeout(() => {
      counts.textContent = format(labels.counts, {
        date: shown,
        connected: tally.connected,
        building: tally.under_construction,
        planned: tally.planned,
        none: tally.not_connected + tally.none,
        total: markers.length,
      });
    }, 300);
    mapElement.dataset.day = iso;
  }

  slider.max = String(lastIndex);
  slider.value = String(lastIndex);
  slider.addEventListener("input", () => draw(Number(slider.value)));
  slider.addEventListener("keydown", (event) => {
    const step = { PageUp: MONTH_DAYS, PageDown: -MONTH_DAYS }[event.key];
    if (step === undefined) return;
    event.preventDefault();
    slider.value = String(Math.min(lastIndex, Math.max(0, Number(slider.value) + step)));
    draw(Number(slider.value));
  });

  let playing = null;
  function stop() {
    clearInterval(playing);
    playing = null;
    playButton.textContent = labels.play;
    playButton.setAttribute("aria-pressed", "false");
  }
  playButton.addEventListener("click", () => {
    if (playing) return stop();
    if (Number(slider.value) >= lastIndex) slider.value = "0";
    playButton.textContent = labels.pause;
    playButton.setAttribute("aria-pressed", "true");
    playing = setInterval(() => {
      const next = Math.min(lastIndex, Number(slider.value) + 7);
      slider.value = String(next);
      draw(next);
      if (next >= lastIndex) stop();
    }, 150);
  });

  player.hidden = false;
  draw(lastIndex);
  mapElement.dataset.ready = "true";
}

start().catch((error) => {
  mapElement.dataset.ready = "error";
  console.error(error);
});
