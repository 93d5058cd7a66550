"""Write the street and water test files under tests/data (made by us, CC0).

Run: .venv/bin/python tests/data/make_context_data.py. Positions are near real places in Mülheim an der
Ruhr (the Ruhr at the Schloßbrücke, the Altstadt); the lines themselves are drawn by hand, not surveyed.
"""

import json
from pathlib import Path

import geopandas as gpd
from pyproj import Transformer
from shapely.geometry import LineString, Point, Polygon

HERE = Path(__file__).resolve().parent
STREETS, WATER, BAD = HERE / "streets", HERE / "water", HERE / "invalid"
TO_UTM = Transformer.from_crs(4326, 25832, always_xy=True)

# (name, postcode, [(lon, lat), ...]): the Schloßstraße in two segments that meet end to end
STREET_LINES = [
    ("Schloßstraße", "45468", [(6.8800, 51.4275), (6.8810, 51.4280), (6.8820, 51.4284)]),
    ("Schloßstraße", "45468", [(6.8820, 51.4284), (6.8832, 51.4290)]),
    ("Löhberg", "45468", [(6.8780, 51.4286), (6.8795, 51.4292)]),
    ("Düsseldorfer Straße", "45481", [(6.8670, 51.3970), (6.8680, 51.3980), (6.8690, 51.3992)]),
]
RUHR = [(6.8740, 51.4340), (6.8760, 51.4290), (6.8775, 51.4240), (6.8790, 51.4180)]
CANAL = [(6.8700, 51.4380), (6.8720, 51.4360)]
LAKE = [(6.8600, 51.4100), (6.8630, 51.4100), (6.8630, 51.4120), (6.8600, 51.4120), (6.8600, 51.4100)]
# A bow tie: the ring crosses itself, make_valid makes two triangles of it.
BOWTIE = [(6.8650, 51.4150), (6.8680, 51.4170), (6.8680, 51.4150), (6.8650, 51.4170), (6.8650, 51.4150)]


def utm(coords):
    return [TO_UTM.transform(lon, lat) for lon, lat in coords]


def streets_files() -> None:
    STREETS.mkdir(exist_ok=True)
    rows = [{"STRNAME": n, "PLZ": p, "geometry": LineString(utm(c))} for n, p, c in STREET_LINES]
    gpd.GeoDataFrame(rows, crs=25832).to_file(STREETS / "streets.gpkg", layer="strassen", driver="GPKG")
    rows = [{"name": n, "postcode": p, "geometry": LineString(c)} for n, p, c in STREET_LINES]
    gpd.GeoDataFrame(rows, crs=4326).to_file(STREETS / "streets_4326.geojson", driver="GeoJSON")


def water_files() -> None:
    WATER.mkdir(exist_ok=True)
    rows = [
        {"NAME": "Ruhr", "ART": "Fluss", "geometry": LineString(utm(RUHR))},
        {"NAME": "Schleusenkanal", "ART": "Kanal", "geometry": LineString(utm(CANAL))},
        {"NAME": "Entenpfuhl", "ART": "Teich", "geometry": Polygon(utm(LAKE))},
        {"NAME": "Ruhraue", "ART": "Altarm", "geometry": Polygon(utm(BOWTIE))},
    ]
    gpd.GeoDataFrame(rows, crs=25832).to_file(WATER / "water.gpkg", layer="gewaesser", driver="GPKG")


def osm_file() -> None:
    """Streets and water as OSM XML: ways with highway=*, a river, a lake area, and ways that are neither."""
    nodes, ways, next_id = [], [], [1]

    def node(lon, lat):
        nodes.append(f'  <node id="{next_id[0]}" version="1" lat="{lat}" lon="{lon}"/>')
        next_id[0] += 1
        return next_id[0] - 1

    def way(coords, tags, closed=False):
        refs = [node(lon, lat) for lon, lat in (coords[:-1] if closed else coords)]
        if closed:
            refs.append(refs[0])
        body = "".join(f'\n    <nd ref="{r}"/>' for r in refs)
        body += "".join(f'\n    <tag k="{k}" v="{v}"/>' for k, v in tags.items())
        ways.append(f'  <way id="{100 + len(ways)}" version="1">{body}\n  </way>')

    for name, postcode, coords in STREET_LINES:
        way(coords, {"highway": "residential", "name": name, "addr:postcode": postcode})
    way([(6.8750, 51.4300), (6.8755, 51.4305)], {"highway": "footway"})  # no name: not a street to list
    way([(6.8760, 51.4300), (6.8765, 51.4305)], {"barrier": "fence"})
    way(RUHR, {"waterway": "river", "name": "Ruhr"})
    way(LAKE, {"natural": "water", "water": "pond", "name": "Entenpfuhl"}, closed=True)
    osm = '<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="glasfaserportal tests">\n'
    (HERE / "streets" / "context.osm").write_text(osm + "\n".join(nodes + ways) + "\n</osm>\n", encoding="utf-8")


def broken_files() -> None:
    features = [
        {"name": "Gute Straße", "geometry": {"type": "LineString", "coordinates": [[6.88, 51.42], [6.881, 51.421]]}},
        {"name": "Punktweg", "geometry": {"type": "Point", "coordinates": [6.882, 51.422]}},
        {"name": "", "geometry": {"type": "LineString", "coordinates": [[6.883, 51.42], [6.884, 51.421]]}},
        {"name": "Stummelgasse", "geometry": {"type": "LineString", "coordinates": [[6.885, 51.42], [6.885, 51.42]]}},
        {"name": "Leerweg", "geometry": None},
    ]
    collection = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"name": f["name"]}, "geometry": f["geometry"]} for f in features
        ],
    }
    (BAD / "streets_broken.geojson").write_text(json.dumps(collection, ensure_ascii=False, indent=1), encoding="utf-8")
    water = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"name": "Brunnen"}, "geometry": Point(6.88, 51.42).__geo_interface__},
        ],
    }
    (BAD / "water_point.geojson").write_text(json.dumps(water, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    streets_files()
    water_files()
    osm_file()
    broken_files()
