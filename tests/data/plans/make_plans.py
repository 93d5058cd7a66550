"""Write the plan test files of tests/data/plans/ (run once; the outputs are committed).

    .venv/bin/python tests/data/plans/make_plans.py

Everything here is made up by us and placed under CC0; see README.md.
Coordinates are EPSG:25832 inside the test city square 345000–355000 E, 5695000–5705000 N.
"""

import json
import zipfile
from pathlib import Path

import geopandas as gpd

HERE = Path(__file__).resolve().parent
VALID, INVALID = HERE / "valid", HERE / "invalid"
CRS_25832 = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::25832"}}


def polygon(xmin, ymin, xmax, ymax):
    return {
        "type": "Polygon",
        "coordinates": [[[xmin, ymin], [xmax, ymin], [xmax, ymax], [xmin, ymax], [xmin, ymin]]],
    }


def area(key, geom, **props):
    base = {"id": key, "status": "Im Bau", "technologie": "FTTH", "quartal": "Q3/2028", "down": 1000, "up": 200}
    return {"type": "Feature", "properties": {**base, **props}, "geometry": geom}


def geojson(path, features, crs=CRS_25832):
    data = {"type": "FeatureCollection", "features": features}
    if crs:
        data["crs"] = crs
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")


def write_valid():
    features = [
        area("A-1", polygon(349000, 5699000, 351000, 5701000)),
        area(
            "A-2", polygon(351000, 5701000, 352000, 5702000), status="buchbar", technologie="FTTB", quartal="2025-06-30"
        ),
        area("A-3", polygon(346000, 5696000, 347000, 5697000), status="geplant", quartal="3. Quartal 2029"),
    ]
    geojson(VALID / "areas.geojson", features)
    frame = gpd.read_file(VALID / "areas.geojson")
    frame.to_file(VALID / "areas.gpkg", driver="GPKG")
    frame.to_crs(4326).to_file(VALID / "areas.kml", driver="KML")
    shp = HERE / "tmp_shp"
    shp.mkdir(exist_ok=True)
    frame.to_file(shp / "areas.shp")
    with zipfile.ZipFile(VALID / "areas_shp.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        for part in shp.iterdir():
            archive.write(part, part.name)
            part.unlink()
    shp.rmdir()
    header = "id;Name;Status;Technologie;Quartal;Quote;Frist;Anschlussgebühr;WKT\n"
    square = "POLYGON((349000 5699000,351000 5699000,351000 5701000,349000 5701000,349000 5699000))"
    row = f"W-1;Dümpten Süd;Vorvermarktung;Glasfaser bis in die Wohnung;2028-Q3;40;31.03.2028;99,00 €;{square}\n"
    (VALID / "areas_wkt_cp1252.csv").write_bytes((header + row).encode("cp1252"))
    lines = ["gebiet,strasse,hausnummer,plz,status,technologie,quartal"]
    lines += [
        "L-1,Schloßstraße,1,45468,geplant,HFC/DOCSIS 3.1,Q4/2028",
        "L-1,Schlossstr.,2a,45468,geplant,HFC/DOCSIS 3.1,Q4/2028",
    ]
    (VALID / "addresses.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    lat = "id,lat,lon,status,technologie,quartal\nP-1,51.43,6.85,geplant,5G,Q1/2029\n"
    (VALID / "points_latlon.csv").write_text(lat, encoding="utf-8")


def write_invalid():
    good = polygon(349000, 5699000, 351000, 5701000)
    (INVALID / "unsupported.docx").write_bytes(b"PK\x03\x04 not a plan")
    (INVALID / "garbage.gpkg").write_bytes(b"this is not an SQLite database" * 10)
    with zipfile.ZipFile(INVALID / "bomb.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("areas.shp", b"\0" * (50 * 1024 * 1024))
    frame = gpd.read_file(VALID / "areas.geojson")
    shp = HERE / "tmp_shp"
    shp.mkdir(exist_ok=True)
    frame.to_file(shp / "areas.shp")
    with zipfile.ZipFile(INVALID / "no_prj.zip", "w") as archive:
        for part in shp.iterdir():
            if part.suffix != ".prj":
                archive.write(part, part.name)
            part.unlink()
    shp.rmdir()
    geojson(INVALID / "empty_geometry.geojson", [area("E-1", None)])
    geojson(INVALID / "outside_city.geojson", [area("O-1", polygon(390000, 5819000, 391000, 5820000))])
    geojson(
        INVALID / "line_geometry.geojson",
        [area("G-1", {"type": "LineString", "coordinates": [[349000, 5699000], [350000, 5700000]]})],
    )
    geojson(
        INVALID / "duplicate_key.geojson", [area("D-1", good), area("D-1", polygon(351000, 5701000, 352000, 5702000))]
    )
    geojson(INVALID / "duplicate_feature.geojson", [area("D-1", good), area("D-2", good)])
    geojson(INVALID / "no_features.geojson", [])
    unknown = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::99999"}}
    geojson(INVALID / "unknown_crs.geojson", [area("K-1", good)], crs=unknown)
    csv = "id;status;technologie;quartal;wkt\n"
    wkt = "POLYGON((349000 5699000,351000 5699000,351000 5701000,349000 5701000,349000 5699000))"
    (INVALID / "missing_crs.csv").write_text(csv + f"U-1;im Bau;FTTH;Q3/2028;{wkt}\n", encoding="utf-8")
    (INVALID / "unknown_stage.csv").write_text(csv + f"S-1;irgendwann;FTTH;Q3/2028;{wkt}\n", encoding="utf-8")
    (INVALID / "unknown_technology.csv").write_text(csv + f"T-1;im Bau;Brieftaube;Q3/2028;{wkt}\n", encoding="utf-8")
    (INVALID / "past_quarter.csv").write_text(csv + f"P-1;geplant;FTTH;Q1/2020;{wkt}\n", encoding="utf-8")
    (INVALID / "unparseable_date.csv").write_text(csv + f"P-1;geplant;FTTH;bald;{wkt}\n", encoding="utf-8")
    (INVALID / "bad_wkt.csv").write_text(csv + "B-1;im Bau;FTTH;Q3/2028;POLYGON((1 2, 3\n", encoding="utf-8")
    (INVALID / "cancelled_without_reason.csv").write_text(csv + f"C-1;storniert;FTTH;;{wkt}\n", encoding="utf-8")
    rows = "strasse,hausnummer,plz,status,technologie,quartal\nNirgendweg,99,45468,geplant,FTTH,Q3/2028\n"
    (INVALID / "unknown_address.csv").write_text(rows, encoding="utf-8")


if __name__ == "__main__":
    VALID.mkdir(exist_ok=True)
    INVALID.mkdir(exist_ok=True)
    write_valid()
    write_invalid()
